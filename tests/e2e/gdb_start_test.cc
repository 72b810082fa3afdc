// Where and how long `rewind replay` serves gdb (issue 15, as rr's replay
// -g and -k): -g EVENT starts at an event, -k serves the next gdb after one
// detaches, from where it left.
#include <gtest/gtest.h>
#include <signal.h>

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

}  // namespace
}  // namespace rwd::e2e
