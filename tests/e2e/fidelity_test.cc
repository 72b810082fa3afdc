// Programs that stress what a recording must reproduce beyond plain
// syscalls: numbers the kernel does not implement, capget's
// version-dependent sizes, shared writable mappings of a deleted file,
// self-installed seccomp sandboxes, AddressSanitizer-built programs, and
// signals landing in code the program writes itself (a JIT).
// Each is recorded once and replayed twice, byte for byte.
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

class FidelityTest : public E2ETest {};

TEST_F(FidelityTest, UnimplementedSyscallNumbersFailWithEnosys) {
  Recording rec = Record("unimplemented_syscall");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "syscall(-1) = -1 errno 38 "));
  EXPECT_TRUE(Contains(rec.out, "syscall(100000) = -1 errno 38 "));
  EXPECT_TRUE(Contains(rec.out, "syscall(1048576) = -1 errno 38 "));
  ExpectReplaysIdentically(rec);
  // The same as without rewind, apart from the random value.
  RunResult native = RunNative("unimplemented_syscall");
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  EXPECT_EQ(Lines(native.out).size(), Lines(rec.out).size());
  EXPECT_EQ(Lines(native.out)[0], Lines(rec.out)[0]);
  EXPECT_NE(native.out, rec.out);
}

TEST_F(FidelityTest, CapgetWritesWhatTheHeaderVersionSays) {
  Recording rec = Record("capget_versions");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(AnyLineMatches(rec.out, "^version query: 0, kernel version 0x2008052[0-9]$"))
      << rec.out;
  EXPECT_TRUE(AnyLineMatches(rec.out, "^unknown version: -1 errno 22, kernel version 0x2"))
      << rec.out;
  EXPECT_TRUE(AnyLineMatches(rec.out, "^v1: 0 ")) << rec.out;
  EXPECT_TRUE(AnyLineMatches(rec.out, "^v3: 0 ")) << rec.out;
  ExpectReplaysIdentically(rec);
  RunResult native = RunNative("capget_versions");
  EXPECT_EQ(native.out, rec.out);
}

TEST_F(FidelityTest, SharedWritableMappingOfADeletedFile) {
  Recording rec = Record("shared_file_mmap");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "second mapping sees the first's stores: yes\n"));
  EXPECT_TRUE(Contains(
      rec.out, "parent reads: written by the child; second mapping reads: written by the child\n"));
  EXPECT_TRUE(Contains(
      rec.out, "after the parent's store the second mapping reads: Written by the child\n"));
  ExpectReplaysIdentically(rec);
  // The file's contents are random: replay maps the recorded ones.
  RunResult native = RunNative("shared_file_mmap");
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  EXPECT_NE(native.out, rec.out);
}

TEST_F(FidelityTest, SeccompSandboxAnswersAreRecorded) {
  Recording rec = Record("seccomp_sandbox");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  for (const char* line :
       {"seccomp(SECCOMP_SET_MODE_FILTER) = 0\n", "uname = -1 errno 13\n",
        "mprotect = -1 errno 1\n", "getpgid = -1 errno 38\n", "getpid allowed: yes\n"}) {
    EXPECT_TRUE(Contains(rec.out, line)) << line;
  }
  std::string sigsys = "SIGSYS " + std::to_string(SIGSYS) + ": code 1, syscall " +
                       std::to_string(SYS_getppid) + ", filter data 42\n";
  EXPECT_TRUE(Contains(rec.out, sigsys)) << rec.out;
  ExpectReplaysIdentically(rec);
  RunResult native = RunNative("seccomp_sandbox");
  EXPECT_EQ(native.out, rec.out);
}

TEST_F(FidelityTest, SeccompKillEndsTheReplayAtTheSameSyscall) {
  Recording rec = Record("seccomp_sandbox", {"kill"});
  EXPECT_EQ(rec.exit_status, 128 + SIGSYS) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "prctl(PR_SET_SECCOMP) = 0\n"));
  EXPECT_FALSE(Contains(rec.out, "still alive"));
  ExpectReplaysIdentically(rec);
}

std::string AsanProgram(std::string* skip_reason) {
  std::string path = std::string(REWIND_PROGRAMS_DIR) + "/asan_heap_overflow";
  if (!std::filesystem::exists(path)) {
    *skip_reason =
        "the compiler cannot build -fsanitize=address programs here (no libasan), so "
        "asan_heap_overflow was not built";
  }
  return path;
}

TEST_F(FidelityTest, AddressSanitizerReportReplaysByteForByte) {
  std::string skip;
  std::string program = AsanProgram(&skip);
  if (!skip.empty()) GTEST_SKIP() << skip;
  Recording rec = Record(program);
  ASSERT_EQ(rec.exit_status, 1) << rec.Describe();
  std::string report = ProgramStderr(rec.err);
  EXPECT_TRUE(Contains(report, "ERROR: AddressSanitizer: heap-buffer-overflow")) << rec.err;
  EXPECT_TRUE(Contains(report, "0 bytes after 10-byte region") ||
              Contains(report, "0 bytes to the right of 10-byte region"))
      << report;
  EXPECT_TRUE(Contains(report, "SUMMARY: AddressSanitizer")) << report;
  EXPECT_FALSE(Contains(rec.out, "not reached"));
  ExpectReplaysIdentically(rec);
}

// LeakSanitizer stops the world with a thread that ptrace-attaches its
// siblings, which cannot work under a tracer: rewind makes its untraced
// clone fail and says how to skip the check; the program then reports, as
// under gdb, that LeakSanitizer does not work under ptrace.
TEST_F(FidelityTest, AddressSanitizerLeakCheckFailsAsUnderATracerAndSaysWhy) {
  std::string skip;
  std::string program = AsanProgram(&skip);
  if (!skip.empty()) GTEST_SKIP() << skip;
  Recording rec = Record(program, {"leak"});
  EXPECT_TRUE(Contains(rec.err, "ASAN_OPTIONS=detect_leaks=0")) << rec.err;
  EXPECT_TRUE(Contains(rec.err, "LeakSanitizer")) << rec.err;
  ExpectReplaysIdentically(rec);

  RunOptions no_leak_check;
  no_leak_check.env = {"ASAN_OPTIONS=detect_leaks=0"};
  Recording quiet = Record(program, {"leak"}, no_leak_check);
  EXPECT_EQ(quiet.exit_status, 0) << quiet.Describe();
  EXPECT_EQ(ProgramStderr(quiet.err), "");
  ExpectReplaysIdentically(quiet);
}

// `ulimit -s` before an exec: the new stack limit sizes the exec's argument
// space (a quarter of it, up to 6 MiB). 4 MiB of arguments need more than
// the default 8 MiB limit gives, so replay must apply the limit the shell
// set, or its exec fails with E2BIG where the recorded one ran.
TEST_F(FidelityTest, StackLimitSetBeforeAnExecHoldsInReplay) {
  Recording rec =
      Record("/bin/bash", {"-c", "ulimit -s 65536 && /bin/echo $(seq 1 300000) | wc -c"});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "1988895\n")) << rec.out;
  ExpectReplaysIdentically(rec);
}

}  // namespace
}  // namespace rwd::e2e

namespace rwd::e2e {
namespace {

TEST_F(FidelityTest, InterruptedSleepsReportTheRecordedTimeLeft) {
  Recording rec = Record("sleep_interrupted");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(AnyLineMatches(rec.out, "^clock_nanosleep = 4 \\(EINTR yes\\), left 9\\.[0-9]{9}$"))
      << rec.out;
  EXPECT_TRUE(AnyLineMatches(rec.out, "^nanosleep = -1 errno 4, left 9\\.[0-9]{9}$")) << rec.out;
  ExpectReplaysIdentically(rec);
}

TEST_F(FidelityTest, SignalsInCodeTheProgramRewritesLandWhereRecorded) {
  Recording rec = Record("jit_rewrite_loop");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::smatch at;
  ASSERT_TRUE(std::regex_search(rec.out, at, std::regex("code at (0x[0-9a-f]+)"))) << rec.out;
  const uint64_t code = std::strtoull(at[1].str().c_str(), nullptr, 16);
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  // The case that matters: a round's first signal in the copied loop, whose
  // point replay arms before the program clears and rewrites the page (and,
  // from the second round on, after the program mapped the range where
  // replay had put the first round's probe trampolines).
  RunResult dump = Dump(rec.trace);
  ASSERT_EQ(dump.exit_status, 0) << dump.Describe();
  const std::regex signal_at("signal SIGALRM at pc (0x[0-9a-f]+)");
  int first_in_round = 0;
  std::string previous;
  std::istringstream lines(dump.out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, signal_at)) {
      uint64_t pc = std::strtoull(m[1].str().c_str(), nullptr, 16);
      bool in_code = pc >= code && pc < code + page;
      if (in_code && !Contains(previous, "rt_sigreturn")) ++first_in_round;
    }
    if (!line.empty() && line[0] == '#') previous = line;
  }
  ASSERT_GT(first_in_round, 0) << "no round's first SIGALRM landed in the copied loop:\n"
                               << dump.out;
  ExpectReplaysIdentically(rec);
}

// Writes to a file that the program maps shared show through the mapping
// (sqlite and LMDB read their database that way and write it with pwrite).
// Replay emulates the writes; it puts their bytes into its copy of the
// mapped file, with and without the syscall buffer.
TEST_F(FidelityTest, WritesToAFileShowThroughItsSharedMapping) {
  for (const RunOptions& options : {RunOptions{}, SyscallBufferOff()}) {
    Recording rec = Record("mapped_file_writes", {}, options);
    ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
    EXPECT_EQ(Lines(rec.out).size(), 9u) << rec.out;
    EXPECT_FALSE(Contains(rec.out, "mapping shows it: no")) << rec.out;
    ExpectReplaysIdentically(rec, 2, options);
    RunResult dump = Dump(rec.trace);
    EXPECT_TRUE(Contains(dump.out, "bytes at 10 of mapped")) << dump.out.substr(0, 4000);
  }
  // The file's first contents are random: replay shows the recorded ones.
  RunResult native = RunNative("mapped_file_writes");
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  EXPECT_NE(native.out, Record("mapped_file_writes").out);
}

}  // namespace
}  // namespace rwd::e2e
