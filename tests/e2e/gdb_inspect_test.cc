// What an rr user inspects in gdb beyond registers and memory (issue 15):
// $_siginfo at a recorded fault (qXfer:siginfo:read), `info proc mappings`
// (vFile of /proc/PID/maps), `p errno` and other thread-locals
// (qGetTLSAddr), and the state right after `monitor goto` and `monitor
// restart`, with a real gdb against `rewind replay --stdio` that has sourced
// `rewind gdbinit` (as gdb_driver.h does).
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "arch/arch.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

using GdbInspectTest = GdbTest;

// The objfile column of `info proc mappings`: the file-backed paths.
std::set<std::string> MappedFiles(const std::string& output) {
  static const std::regex kLine(
      R"(^\s*0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+0x[0-9a-f]+\s+\S+\s+(/\S.*)$)");
  std::set<std::string> files;
  for (const std::string& line : Lines(output)) {
    std::smatch m;
    if (std::regex_match(line, m, kLine)) files.insert(m[1]);
  }
  return files;
}

TEST_F(GdbInspectTest, SiginfoAtARecordedSegfaultIsTheKernels) {
  Recording rec = Record("segfault");
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  GdbTranscript t = RunGdbOnReplay(
      rec.trace, Program("segfault"),
      {"break main", "continue", "print $_siginfo", "continue", "print $_siginfo.si_signo",
       "print $_siginfo.si_code", "print $_siginfo._sifields._sigfault.si_addr", "reverse-stepi",
       "reverse-continue", "print $_siginfo.si_signo"});
  SCOPED_TRACE(t.Describe());
  // At a breakpoint there is no signal to show.
  EXPECT_TRUE(Contains(t.Output(2), "Unable to read siginfo")) << t.Output(2);
  EXPECT_TRUE(Contains(t.Output(3), "Program received signal SIGSEGV"));
  EXPECT_TRUE(Printed(t.Output(4), "11"));
  EXPECT_TRUE(Printed(t.Output(5), "1"));  // SEGV_MAPERR: nothing mapped at 0x1234
  EXPECT_TRUE(Printed(t.Output(6), "(void *) 0x1234"));
  // Back at the breakpoint in main, no signal again.
  EXPECT_TRUE(Contains(t.Output(8), "Breakpoint 1, main"));
  EXPECT_TRUE(Contains(t.Output(9), "Unable to read siginfo")) << t.Output(9);
}

TEST_F(GdbInspectTest, ProcMappingsShowTheRecordedFilesNotRewinds) {
  Recording rec = Record("segfault");
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  GdbOptions options;
  options.setup = {"break Crash", "run"};
  GdbTranscript native = RunGdbNative(Program("segfault"), {"info proc mappings"}, options);
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("segfault"),
                                   {"break Crash", "continue", "info proc mappings"});
  SCOPED_TRACE(t.Describe());
  SCOPED_TRACE(native.Describe());
  const std::string& maps = t.Output(2);
  EXPECT_TRUE(AnyLineMatches(maps, R"(^process \d+$)"));
  EXPECT_TRUE(AnyLineMatches(maps, R"(\[stack\]$)"));
  EXPECT_TRUE(AnyLineMatches(maps, R"(\[heap\]$)"));
  EXPECT_TRUE(AnyLineMatches(maps, "\\s" + Program("segfault") + "$"));
  // No trace copies, no staging directory: the paths the program mapped,
  // the same files as when it runs natively under gdb.
  EXPECT_FALSE(Contains(maps, "/.cache/rewind/")) << maps;
  std::set<std::string> replayed = MappedFiles(maps);
  EXPECT_GE(replayed.size(), 3u) << maps;  // the program, libc, ld.so
  EXPECT_EQ(replayed, MappedFiles(native.Output(0)));
}

// With the syscall buffer too: its library and pages were rewind's when
// recording, and are not shown.
TEST_F(GdbInspectTest, ProcMappingsLeaveOutTheSyscallBuffer) {
  if (!arch::HostArch().HasSyscallBuffer())
    GTEST_SKIP() << "no syscall buffer on this architecture";
  RunOptions buffered;
  buffered.env = {"REWIND_SYSCALLBUF=1"};
  Recording rec = Record("segfault", {}, buffered);
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  ASSERT_TRUE(Contains(Dump(rec.trace).out, "librewind_syscallbuf.so"));
  GdbOptions options;
  options.setup = {"break Crash", "run"};
  GdbTranscript native = RunGdbNative(Program("segfault"), {"info proc mappings"}, options);
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("segfault"),
                                   {"break Crash", "continue", "info proc mappings"});
  SCOPED_TRACE(t.Describe());
  SCOPED_TRACE(native.Describe());
  const std::string& maps = t.Output(2);
  EXPECT_FALSE(Contains(maps, "librewind_syscallbuf")) << maps;
  EXPECT_FALSE(AnyLineMatches(maps, R"(^\s*0x7[0-9a-f]{7}\s)")) << maps;  // its pages
  EXPECT_EQ(MappedFiles(maps), MappedFiles(native.Output(0)));
}

// The pc `monitor when` (or goto, restart) printed.
std::string WhenPc(const std::string& output) {
  std::smatch m;
  static const std::regex kPc(R"(, pc (0x[0-9a-f]+))");
  return std::regex_search(output, m, kPc) ? m[1].str() : "";
}

TEST_F(GdbInspectTest, GotoAndRestartShowTheNewPointAtOnce) {
  Recording rec = Record("segfault");
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("segfault"),
                                   {"break main",                  // 0
                                    "continue",                    // 1
                                    "monitor checkpoint at-main",  // 2
                                    "continue",                    // 3
                                    "monitor goto 3",              // 4
                                    "bt",                          // 5
                                    "info registers rip",          // 6
                                    "monitor restart at-main",     // 7
                                    "bt",                          // 8
                                    "info registers rip",          // 9
                                    "continue"});                  // 10
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(3), "Program received signal SIGSEGV"));
  // Event 3 is in the dynamic linker's start-up, long before main.
  std::string goto_pc = WhenPc(t.Output(4));
  ASSERT_FALSE(goto_pc.empty()) << t.Output(4);
  std::vector<Frame> frames = Backtrace(t.Output(5));
  ASSERT_FALSE(frames.empty()) << t.Output(5);
  EXPECT_TRUE(Contains(frames[0].function, "_dl_start")) << t.Output(5);
  std::vector<std::pair<std::string, std::string>> regs = Registers(t.Output(6));
  ASSERT_EQ(regs.size(), 1u) << t.Output(6);
  EXPECT_EQ(regs[0].second, goto_pc);
  // Back at the breakpoint in main.
  std::string restart_pc = WhenPc(t.Output(7));
  ASSERT_FALSE(restart_pc.empty()) << t.Output(7);
  frames = Backtrace(t.Output(8));
  ASSERT_EQ(frames.size(), 1u) << t.Output(8);
  EXPECT_EQ(frames[0].function, "main");
  regs = Registers(t.Output(9));
  ASSERT_EQ(regs.size(), 1u) << t.Output(9);
  EXPECT_EQ(regs[0].second, restart_pc);
  EXPECT_TRUE(Contains(t.Output(10), "Program received signal SIGSEGV"));
}

// `p errno`: qGetTLSAddr, answered from glibc's own layout descriptors.
// errno is libc's; without libc's debug information gdb knows only its
// address and needs the cast, with it the cast changes nothing. The address
// is the one the program printed while recorded (the libraries the
// recording preloads, the syscall buffer's among them, move it from where
// it is natively).
TEST_F(GdbInspectTest, ErrnoAfterAFailingSyscallIsThreadLocalAndRight) {
  Recording rec = Record("errno_fail");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(Contains(rec.out, "errno 2 at 0x7")) << rec.out;
  std::string recorded = rec.out.substr(rec.out.find(" at ") + 4);
  recorded = recorded.substr(0, recorded.find('\n'));
  GdbTranscript t = RunGdbOnReplay(
      rec.trace, Program("errno_fail"),
      {"break AfterFailure", "continue", "print (int) errno", "print/x (long) &errno"});
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(Contains(t.Output(1), "Breakpoint 1, AfterFailure"));
  EXPECT_TRUE(Printed(t.Output(2), "2"));  // ENOENT
  std::optional<std::string> address = PrintedValue(t.Output(3));
  ASSERT_TRUE(address.has_value()) << t.Output(3);
  EXPECT_EQ(*address, recorded);
}

// Thread-locals of a multithreaded program: each thread at the breakpoint
// sees its own errno (a different failing syscall per thread) and its own
// __thread variable of the executable, as the program itself saw them.
TEST_F(GdbInspectTest, ThreadLocalsOfEachThreadAreItsOwn) {
  Recording rec = Record("mt_tls");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  int line = SourceLine("tests/programs/mt_tls.c", "pthread_barrier_wait(&g_barrier);");
  std::string at = "break mt_tls.c:" + std::to_string(line);
  std::vector<std::string> commands = {at, "continue"};
  const std::vector<std::string> per_thread = {
      "print self", "print (int) errno == seen->error", "print seen->error != 0",
      "print tls_counter == 1000 * (self + 1)", "print tls_name"};
  for (int hit = 0; hit < 2; ++hit) {
    if (hit > 0) commands.push_back("continue");
    commands.insert(commands.end(), per_thread.begin(), per_thread.end());
  }
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("mt_tls"), commands);
  SCOPED_TRACE(t.Describe());
  std::set<std::string> threads_seen;
  for (int hit = 0; hit < 2; ++hit) {
    size_t base = 2 + hit * (per_thread.size() + 1);
    EXPECT_TRUE(Contains(t.Output(base - 1), "hit Breakpoint 1")) << t.Output(base - 1);
    std::optional<std::string> self = PrintedValue(t.Output(base));
    ASSERT_TRUE(self.has_value()) << t.Output(base);
    threads_seen.insert(*self);
    EXPECT_TRUE(Printed(t.Output(base + 1), "1"));
    EXPECT_TRUE(Printed(t.Output(base + 2), "1"));
    EXPECT_TRUE(Printed(t.Output(base + 3), "1"));
    EXPECT_TRUE(Contains(t.Output(base + 4), "\"worker-" + *self + "\\000")) << t.Output(base + 4);
  }
  EXPECT_EQ(threads_seen.size(), 2u);
}

}  // namespace
}  // namespace rwd::e2e
