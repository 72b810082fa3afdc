// The e2e harness itself: output capture, exit statuses, stdin, timeouts.
// If these fail, no other e2e result can be trusted.
#include <csignal>
#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

TEST(HarnessTest, CapturesStdoutAndStderrSeparately) {
  RunResult r = RunCommand({"/bin/sh", "-c", "echo to-out; echo to-err >&2; exit 3"});
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_EQ(r.term_signal, 0);
  EXPECT_EQ(r.out, "to-out\n");
  EXPECT_EQ(r.err, "to-err\n");
  EXPECT_FALSE(r.Crashed());
}

TEST(HarnessTest, ReportsDeathBySignal) {
  RunResult r = RunCommand({"/bin/sh", "-c", "kill -SEGV $$"});
  EXPECT_EQ(r.term_signal, SIGSEGV);
  EXPECT_EQ(r.exit_status, 128 + SIGSEGV);
  EXPECT_TRUE(r.Crashed());
}

TEST(HarnessTest, FeedsStdinAndGivesEmptyStdinOtherwise) {
  RunOptions options;
  options.stdin_data = std::string(200000, 'x') + "\n";
  RunResult r = RunCommand({"/bin/cat"}, options);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.out, options.stdin_data);

  RunResult empty = RunCommand({"/bin/cat"});
  EXPECT_EQ(empty.exit_status, 0);
  EXPECT_EQ(empty.out, "");
}

TEST(HarnessTest, KillsCommandsThatTimeOut) {
  RunOptions options;
  options.timeout = std::chrono::seconds(1);
  RunResult r = RunCommand({"/bin/sh", "-c", "echo started; sleep 60"}, options);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.out, "started\n");
  EXPECT_FALSE(r.Crashed());
}

TEST(HarnessTest, DoesNotWaitForDescendantsHoldingThePipes) {
  RunOptions options;
  options.timeout = std::chrono::seconds(30);
  RunResult r = RunCommand({"/bin/sh", "-c", "sleep 60 & echo parent-done"}, options);
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.out, "parent-done\n");
}

TEST(HarnessTest, PassesEnvironmentOverrides) {
  RunOptions options;
  options.env = {"REWIND_HARNESS_PROBE=42", "HOME=/nonexistent-home"};
  RunResult r = RunCommand({"/bin/sh", "-c", "echo $REWIND_HARNESS_PROBE $HOME"}, options);
  EXPECT_EQ(r.out, "42 /nonexistent-home\n");
}

TEST(HarnessTest, MissingExecutableExits127) {
  RunResult r = RunCommand({"/nonexistent/program"});
  EXPECT_EQ(r.exit_status, 127);
  EXPECT_NE(r.err.find("/nonexistent/program"), std::string::npos);
}

TEST(HarnessTest, ProgramStderrDropsRewindLines) {
  EXPECT_EQ(ProgramStderr("rewind: note\nprogram line\nrewind: replay done\nlast"),
            "program line\nlast");
}

TEST(HarnessTest, SameBytesPointsAtTheFirstDifference) {
  EXPECT_TRUE(SameBytes("abc\ndef\n", "abc\ndef\n"));
  ::testing::AssertionResult r = SameBytes("abc\ndef\n", "abc\ndxf\n");
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("byte 5 (line 2)"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace rwd::e2e
