// Where and how long `rewind replay` serves gdb (issue 15, as rr's replay
// -g and -k): -g EVENT starts at an event, -k serves the next gdb after one
// detaches, from where it left.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <regex>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"
#include "tests/e2e/served_replay.h"

namespace rwd::e2e {
namespace {

using GdbStartTest = GdbTest;

// The event number `monitor when` printed; -1 when it printed none.
long long WhenEvent(const std::string& output) {
  static const std::regex kWhen(R"(Current event: (\d+) \(of \d+\))");
  std::smatch m;
  return std::regex_search(output, m, kWhen) ? std::stoll(m[1].str()) : -1;
}

TEST_F(GdbStartTest, GotoOptionStartsAtTheEvent) {
  Recording rec = Record("segfault");
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  GdbOptions options;
  options.replay_args = {"-g", "40"};
  GdbTranscript t = RunGdbOnReplay(
      rec.trace, Program("segfault"),
      {"monitor when", "bt", "reverse-stepi", "monitor when", "continue", "bt"}, options);
  SCOPED_TRACE(t.Describe());
  EXPECT_EQ(WhenEvent(t.Output(0)), 40);
  EXPECT_FALSE(Backtrace(t.Output(1)).empty()) << t.Output(1);
  // History before the starting point is there.
  EXPECT_FALSE(Contains(t.Output(2), "No more reverse-execution history")) << t.Output(2);
  EXPECT_LE(WhenEvent(t.Output(3)), 40);
  EXPECT_TRUE(Contains(t.Output(4), "Program received signal SIGSEGV"));
  std::vector<Frame> frames = Backtrace(t.Output(5));
  ASSERT_FALSE(frames.empty()) << t.Output(5);
  EXPECT_EQ(frames[0].function, "Crash");
}

// Bad numbers and -k without -s: tests/e2e/cli_args_test.cc.
TEST_F(GdbStartTest, GotoOptionPastTheEndSaysSo) {
  Recording rec = Record("segfault");
  RunResult beyond = Rewind({"replay", "--stdio", "-g", "99999999", rec.trace});
  EXPECT_EQ(beyond.exit_status, 70) << beyond.Describe();  // kExitFailure
  EXPECT_TRUE(Contains(beyond.err, "cannot start at event 99999999")) << beyond.err;
}

TEST_F(GdbStartTest, KeepServingServesTheNextGdbWhereTheLastLeft) {
  Recording rec = Record("segfault");
  ASSERT_EQ(rec.exit_status, 128 + SIGSEGV) << rec.Describe();
  ServedReplay server(rec.trace, {"-k"});
  int port = server.Port();
  ASSERT_GT(port, 0);
  GdbOptions options;
  options.setup = {"target extended-remote 127.0.0.1:" + std::to_string(port)};
  GdbTranscript first = RunGdbNative(
      Program("segfault"), {"break Crash", "continue", "monitor when", "detach"}, options);
  SCOPED_TRACE(first.Describe());
  EXPECT_TRUE(Contains(first.Output(1), "Breakpoint 1, Crash"));
  long long event = WhenEvent(first.Output(2));
  EXPECT_GT(event, 0);
  ASSERT_TRUE(server.Alive()) << "the server ended when gdb detached";
  GdbTranscript second =
      RunGdbNative(Program("segfault"), {"monitor when", "bt", "continue"}, options);
  SCOPED_TRACE(second.Describe());
  EXPECT_EQ(WhenEvent(second.Output(0)), event);
  std::vector<Frame> frames = Backtrace(second.Output(1));
  ASSERT_FALSE(frames.empty()) << second.Output(1);
  EXPECT_EQ(frames[0].function, "Crash");
  EXPECT_TRUE(Contains(second.Output(2), "Program received signal SIGSEGV"));
}

// The gdb that `rewind replay` starts reads the libraries from the trace's
// copies on this machine (a sysroot of links rewind makes and removes), not
// through the protocol: no "Reading ... from remote target" per library and
// debug file, no warning to set a sysroot, and symbols from every library.
TEST_F(GdbStartTest, GdbStartedByRewindLoadsTheTracesCopiesLocally) {
  Recording rec = Record("gdb_forward");
  ASSERT_EQ(rec.exit_status, 3) << rec.Describe();
  RunResult r = Rewind({"replay", rec.trace, "--", "-nx", "-batch", "-ex", "break Leaf", "-ex",
                        "continue", "-ex", "info sharedlibrary", "-ex", "info inferiors", "-ex",
                        "echo @@goto@@\\n", "-ex", "monitor goto 3", "-ex", "bt"});
  std::string all = r.out + r.err;
  SCOPED_TRACE(r.Describe() + "\n" + r.out);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_TRUE(Contains(all, "Breakpoint 1, Leaf")) << all;
  EXPECT_FALSE(Contains(all, "from remote target")) << all;
  EXPECT_FALSE(Contains(all, "set sysroot")) << all;
  EXPECT_FALSE(Contains(all, "target:")) << all;
  static const std::regex kLibc(R"((/\S*\.rewind-sysroot-[^/\s]+)/\S*libc\.so\.6)");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(all, m, kLibc)) << all;
  EXPECT_TRUE(AnyLineMatches(all, R"(\sYes( \(\*\))?\s+\S*libc\.so\.6$)")) << all;
  EXPECT_TRUE(AnyLineMatches(all, R"(\sYes( \(\*\))?\s+\S*libstdc\+\+\.so\.6$)")) << all;
  // Every file by its recorded name: the dynamic linker and the program
  // too, never a copy's content hash.
  EXPECT_TRUE(AnyLineMatches(all, R"(\sYes( \(\*\))?\s+\S*ld-linux\S*\.so\.2$)")) << all;
  EXPECT_TRUE(AnyLineMatches(all, R"(^\* 1 .*\s/\S*/gdb_forward\s*$)")) << all;
  EXPECT_FALSE(std::regex_search(all, std::regex("/[0-9a-f]{32}\\b"))) << all;
  // Its gdbinit (issue 15): right after `monitor goto`, bt shows the new
  // point, not the registers gdb had cached in Leaf.
  size_t mark = r.out.find("@@goto@@");
  ASSERT_NE(mark, std::string::npos) << all;
  std::string after_goto = r.out.substr(mark);
  EXPECT_TRUE(Contains(after_goto, "#0 ")) << after_goto;
  EXPECT_FALSE(Contains(after_goto, "Leaf")) << after_goto;
  // Gone with the session.
  EXPECT_FALSE(std::filesystem::exists(m[1].str())) << m[1].str();
}

}  // namespace
}  // namespace rwd::e2e
