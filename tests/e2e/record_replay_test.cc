// Record once, replay twice: every replay reproduces the recorded stdout,
// the program's stderr and the exit status byte for byte. Where a second
// native run prints something else (random data, clocks), that is checked
// too: it proves the replayed values come from the trace, not from a rerun.
#include <csignal>
#include <filesystem>
#include <regex>
#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

class RecordReplayTest : public E2ETest {};

TEST_F(RecordReplayTest, RandomBytesComeFromTheTrace) {
  Recording rec = Record("random_bytes");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(
      std::regex_match(rec.out, std::regex("urandom: [0-9a-f]{32}\ngetrandom: [0-9a-f]{32}\n")))
      << rec.out;

  ExpectReplaysIdentically(rec);

  RunResult native = RunNative("random_bytes");
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  EXPECT_NE(native.out, rec.out) << "two native runs printed the same random bytes";
}

TEST_F(RecordReplayTest, TimeSourcesComeFromTheTrace) {
  Recording rec = Record("time_sources");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  for (const char* line :
       {"time: ", "gettimeofday: ", "clock_gettime(CLOCK_REALTIME): ",
        "clock_gettime(CLOCK_MONOTONIC): ", "rdtsc: ", "rdtscp: ", "cpuid(0): ", "cpuid(1): "}) {
    EXPECT_TRUE(Contains(rec.out, line));
  }

  ExpectReplaysIdentically(rec);

  // Nanosecond clocks and the TSC never repeat.
  RunResult native = RunNative("time_sources");
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  EXPECT_NE(native.out, rec.out);
}

TEST_F(RecordReplayTest, FileIoReplaysWithoutTouchingTheFileSystem) {
  Recording rec = Record("file_io");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::smatch dir;
  ASSERT_TRUE(std::regex_search(rec.out, dir, std::regex("^dir: (/tmp/rewind-file-io-\\S+)\n")))
      << rec.out;
  EXPECT_TRUE(Contains(rec.out, "file delta.txt: 29 bytes"));
  EXPECT_TRUE(Contains(rec.out, "removed " + dir[1].str()));

  ExpectReplaysIdentically(rec);
  // Replay emulates mkdir/open/rename/unlink: nothing is recreated.
  EXPECT_FALSE(std::filesystem::exists(dir[1].str())) << dir[1] << " exists after replay";

  // mkdtemp picks a random name (and inode numbers change).
  RunResult native = RunNative("file_io");
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  EXPECT_NE(native.out, rec.out);
}

// fchmodat2 and acct were refused; they only touch the file system, so the
// recording makes them and replay returns their results. The recording
// prints what a native run prints.
TEST_F(RecordReplayTest, FchmodatTwoAndAcctAreRecorded) {
  std::string native_file = NewPath("native-file");
  RunResult native = RunNative("fs_admin_calls", {native_file});
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  if (Contains(native.out, "fchmodat2 = -1 (ENOSYS)")) {
    GTEST_SKIP() << "this kernel has no fchmodat2 (Linux 6.6 added it)";
  }
  std::string file = NewPath("recorded-file");
  Recording rec = Record("fs_admin_calls", {file});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(rec.out, native.out);
  EXPECT_TRUE(Contains(rec.out, "mode 600")) << rec.out;
  std::filesystem::permissions(file, std::filesystem::perms::owner_all);
  ExpectReplaysIdentically(rec);
  // Replay emulated the chmod: the mode the test set afterwards stays.
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::mask,
            std::filesystem::perms::owner_all);
}

// A parent reads its child's memory (process_vm_readv) and copies one of
// its descriptors (pidfd_getfd): both used to be refused. Replay gives the
// bytes read from the trace.
TEST_F(RecordReplayTest, ProcessVmReadvAndPidfdGetfdAreRecorded) {
  RunResult native = RunNative("reach_into_child", {});
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  Recording rec = Record("reach_into_child", {});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(rec.out, native.out);
  EXPECT_TRUE(Contains(rec.out, "read 31 bytes of the child: the child's own words\n")) << rec.out;
  EXPECT_TRUE(Contains(rec.out, "child received: a note\n")) << rec.out;
  ExpectReplaysIdentically(rec);
}

// prctl tells the program what it would be told natively: no rdtsc
// faulting, no seccomp filter (both the recorder's), and its own
// PR_SET_TSC does not turn the recorder's faulting off, which left rdtsc
// unrecorded and made replay diverge.
TEST_F(RecordReplayTest, PrctlAnswersAsNativelyAndKeepsRdtscRecorded) {
  RunResult native = RunNative("prctl_modes", {});
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  Recording rec = Record("prctl_modes", {});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  auto without_ticks = [](const std::string& out) { return out.substr(0, out.find("ticks")); };
  EXPECT_EQ(without_ticks(rec.out), without_ticks(native.out));
  EXPECT_TRUE(Contains(rec.out, "PR_GET_SECCOMP = 0\n")) << rec.out;
  ExpectReplaysIdentically(rec);
}

// Memory mapped from /dev/zero (private, and shared with a child) was
// refused ("cannot store /dev/zero in the trace"); replay maps anonymous
// memory of the same kind.
TEST_F(RecordReplayTest, DevZeroMappingsAreRecorded) {
  Recording rec = Record("dev_zero_mmap", {});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(rec.out, "zero-filled: 1\nprivate: private, shared: written by the child\n");
  ExpectReplaysIdentically(rec);
}

// New user and UTS namespaces (clone's CLONE_NEWUSER, unshare) are
// recorded; replay stays in its own namespaces (in a new user namespace its
// child could not even open the trace's private copies). A new pid
// namespace is refused with EPERM, which programs meet unprivileged too.
TEST_F(RecordReplayTest, NamespacesAreRecordedAndANewPidNamespaceIsRefused) {
  RunResult native = RunNative("namespaces", {});
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  if (!Contains(native.out, "host name now inside-a-namespace")) {
    GTEST_SKIP() << "this machine does not let the test create namespaces:\n" << native.out;
  }
  Recording rec = Record("namespaces", {});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  auto before_pid_namespace = [](const std::string& out) {
    return out.substr(0, out.find("new pid"));
  };
  EXPECT_EQ(before_pid_namespace(rec.out), before_pid_namespace(native.out));
  EXPECT_TRUE(Contains(rec.out, "child in a new user namespace: uid 65534\n")) << rec.out;
  EXPECT_TRUE(Contains(rec.out, "new pid namespace: Operation not permitted\n")) << rec.out;
  EXPECT_TRUE(Contains(rec.err, "CLONE_NEWPID")) << rec.err;
  ExpectReplaysIdentically(rec);
}

// Replay emulates futex, fcntl and ioctl; what these calls write in the
// program's memory beyond the plain argument rules (the second word of
// FUTEX_WAKE_OP, a PI lock's owner, F_GETOWN_EX, F_GET_RW_HINT, a FIEMAP's
// extents) comes from the trace, so the program prints what it printed when
// recorded, which is what it prints natively.
TEST_F(RecordReplayTest, MemoryTheKernelWritesForFutexFcntlAndIoctlIsReplayed) {
  RunResult native = RunNative("kernel_writes", {NewPath("native-file")});
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  Recording rec = Record("kernel_writes", {NewPath("recorded-file")});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(rec.out, native.out);
  EXPECT_TRUE(Contains(rec.out, "second word 1\n")) << rec.out;
  EXPECT_TRUE(Contains(rec.out, "word is my tid: 1\n")) << rec.out;
  EXPECT_TRUE(Contains(rec.out, "pid is mine: 1\n")) << rec.out;
  ExpectReplaysIdentically(rec);
}

// A locked page makes MADV_DONTNEED fail after it cleared the pages before:
// replay locks it as the recording did, so the program reads what it read.
TEST_F(RecordReplayTest, LockedPagesKeepMadviseFromClearingThemInReplay) {
  RunResult native = RunNative("mlock_dontneed");
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  Recording rec = Record("mlock_dontneed");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(rec.out, native.out);
  EXPECT_EQ(rec.out, "mlock 0, madvise -1 (EINVAL), first page 0, second page b\n");
  ExpectReplaysIdentically(rec);
}

TEST_F(RecordReplayTest, CxxRandomDeviceAndChronoComeFromTheTrace) {
  Recording rec = Record("cxx_random");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "random_device: "));
  EXPECT_TRUE(Contains(rec.out, "most common: "));

  ExpectReplaysIdentically(rec);

  RunResult native = RunNative("cxx_random");
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  EXPECT_NE(native.out, rec.out);
}

TEST_F(RecordReplayTest, SegfaultIsReproducedWithItsAddress) {
  Recording rec = Record("segfault");
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  EXPECT_EQ(rec.out, "segfault: line 1\nsegfault: line 2\n");
  EXPECT_TRUE(Contains(ProgramStderr(rec.err), "segfault: about to write to 0x1234"));

  for (const RunResult& replay : ExpectReplaysIdentically(rec)) {
    EXPECT_TRUE(Contains(replay.err, "SIGSEGV")) << "replay must say it reproduced the crash";
    EXPECT_TRUE(AnyLineMatches(replay.err, "^rewind: .*SIGSEGV.*0x0*1234\\b"));
  }
}

TEST_F(RecordReplayTest, SignalHandlerRunsAtTheRecordedPoints) {
  Recording rec = Record("sigusr1_handler");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(rec.out,
            "main: raising SIGUSR1 (1)\nhandler: signal 10, count 1\n"
            "main: raising SIGUSR1 (2)\nhandler: signal 10, count 2\n"
            "main: raising SIGUSR1 (3)\nhandler: signal 10, count 3\n"
            "main: handler ran 3 times\n");

  ExpectReplaysIdentically(rec);
}

TEST_F(RecordReplayTest, AbortIsReproduced) {
  Recording rec = Record("abort_program");
  ASSERT_EQ(rec.exit_status, 128 + SIGABRT) << rec.Describe();
  EXPECT_EQ(rec.out, "abort_program: giving up\n");

  for (const RunResult& replay : ExpectReplaysIdentically(rec)) {
    EXPECT_TRUE(Contains(replay.err, "SIGABRT"));
  }
}

TEST_F(RecordReplayTest, ArgumentsAndExitStatusPassThrough) {
  Recording rec = Record("exit_status", {"42", "two words", ""});
  ASSERT_EQ(rec.exit_status, 42) << rec.Describe();
  EXPECT_EQ(rec.out, "arg 1: 42\narg 2: two words\narg 3: \n");
  EXPECT_EQ(ProgramStderr(rec.err), "exit_status: exiting with 42\n");

  ExpectReplaysIdentically(rec);
}

TEST_F(RecordReplayTest, StdinIsReadFromTheTrace) {
  RunOptions with_input;
  with_input.stdin_data = "line one from stdin\nline two\n";
  Recording rec = Record("/bin/cat", {}, with_input);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(rec.out, with_input.stdin_data);

  // The replays get an empty stdin: what cat read must come from the trace.
  ExpectReplaysIdentically(rec);
}

TEST_F(RecordReplayTest, LongLoop) {
  Recording rec = Record("long_loop");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "long_loop: done"));

  ExpectReplaysIdentically(rec);
}

TEST_F(RecordReplayTest, HeapCorruptionCrash) {
  Recording rec = Record("heap_corrupt");
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "heap_corrupt: 5000 rounds of interest"));

  for (const RunResult& replay : ExpectReplaysIdentically(rec)) {
    EXPECT_TRUE(Contains(replay.err, "SIGSEGV"));
  }
}

TEST_F(RecordReplayTest, MultiChunkTrace) {
  Recording rec = Record("chunky_output");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(Lines(rec.out).size(), 48u);

  ExpectReplaysIdentically(rec);
}

TEST_F(RecordReplayTest, ExampleProgram) {
  Recording rec = Record(Example("hello_rewind"));
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "hello from rewind's example"));

  ExpectReplaysIdentically(rec);

  RunResult native = RunNative(Example("hello_rewind"));
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  EXPECT_NE(native.out, rec.out) << "the example reads the clock and random_device";
}

// System binaries: dynamically linked, built by someone else, many syscalls.

TEST_F(RecordReplayTest, SystemLsLong) {
  Recording rec = Record("/bin/ls", {"-l", "/usr/include"});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(AnyLineMatches(rec.out, "^total [0-9]+$"));
  EXPECT_TRUE(Contains(rec.out, " stdio.h\n"));

  ExpectReplaysIdentically(rec);
}

TEST_F(RecordReplayTest, SystemDate) {
  Recording rec = Record("/bin/date");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_FALSE(rec.out.empty());

  ExpectReplaysIdentically(rec);
}

TEST_F(RecordReplayTest, SystemDateNanosecondsComeFromTheTrace) {
  Recording rec = Record("/bin/date", {"+%s.%N"});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(std::regex_match(rec.out, std::regex("[0-9]+\\.[0-9]{9}\n"))) << rec.out;

  ExpectReplaysIdentically(rec);

  RunResult native = RunNative("/bin/date", {"+%s.%N"});
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  EXPECT_NE(native.out, rec.out);
}

TEST_F(RecordReplayTest, SystemPython) {
  const std::vector<std::string> args = {
      "-c", "import random,time,os; print(random.random(), time.time(), os.urandom(4).hex())"};
  Recording rec = Record("/usr/bin/python3", args);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(std::regex_match(rec.out, std::regex("[0-9.]+(e-[0-9]+)? [0-9.]+ [0-9a-f]{8}\n")))
      << rec.out;

  ExpectReplaysIdentically(rec);

  RunResult native = RunNative("/usr/bin/python3", args);
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  EXPECT_NE(native.out, rec.out);
}

// A program's writes to /dev/null are never shown by replay, also when the
// recorder's own stderr is /dev/null (as in a CI job or a cron line):
// replay shows again what the program wrote to the recorder's own streams,
// and a device that discards its input is not a stream worth showing.
TEST_F(RecordReplayTest, WritesToDevNullAreNotShownByReplay) {
  for (const RunOptions& options : {RunOptions{}, SyscallBufferOff()}) {
    std::string trace = NewPath("trace-devnull-" + std::to_string(options.env.size()));
    RunResult rec =
        RunCommand({"/bin/sh", "-c", "exec \"$0\" record -o \"$1\" /bin/sh -c \"$2\" 2>/dev/null",
                    REWIND_BINARY, trace, "echo hidden >/dev/null; echo shown"},
                   WithTestEnv(options));
    ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
    ASSERT_EQ(rec.out, "shown\n");
    RunResult replay = ReplayAutopilot(trace, options);
    EXPECT_EQ(replay.exit_status, 0) << replay.Describe();
    EXPECT_EQ(replay.out, "shown\n") << replay.Describe();
    EXPECT_FALSE(Contains(replay.err, "hidden")) << replay.Describe();
  }
}

}  // namespace
}  // namespace rwd::e2e
