// Reverse execution deep inside a syscall-free loop (issue #13): positions
// named without a branch counter are reached through in-process probes that
// count passes, so reverse-stepi 5 * 10^7 passes into a loop retraces the
// forward steps exactly instead of giving up after 200000 breakpoint hits.
#include <gtest/gtest.h>

#include <chrono>
#include <regex>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

using GdbLoopReverseTest = GdbTest;

constexpr char kState[] = R"(printf "state %lx %ld\n", $pc, g_sum)";

// The "state PC SUM" line of a kState command's output, or "" if none.
std::string StateLine(const std::string& output) {
  static const std::regex kLine(R"(state [0-9a-f]+ -?\d+)");
  std::smatch m;
  return std::regex_search(output, m, kLine) ? m[0].str() : "";
}

TEST_F(GdbLoopReverseTest, ReverseStepiHalfwayThroughALongLoopRetracesTheForwardSteps) {
  Recording rec = Record("loop_marker");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  // More than one pass of the loop, so a store to g_sum is stepped over.
  constexpr int kSteps = 14;
  std::vector<std::string> commands = {"break Halfway", "continue", "finish", kState};
  for (int i = 0; i < kSteps; ++i) {
    commands.push_back("stepi");
    commands.push_back(kState);
  }
  for (int i = 0; i < kSteps + 2; ++i) {
    commands.push_back("reverse-stepi");
    commands.push_back(kState);
  }
  auto started = std::chrono::steady_clock::now();
  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("loop_marker"), commands);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  SCOPED_TRACE(t.Describe());
  printf("gdb session with %d reverse-stepi deep in the loop: %.1f s\n", kSteps + 2, seconds);
  ASSERT_TRUE(Contains(t.Output(2), "main (")) << t.Output(2);
  std::vector<std::string> forward;
  for (int i = 0; i <= kSteps; ++i) {
    forward.push_back(StateLine(t.Output(3 + 2 * i)));
    ASSERT_FALSE(forward.back().empty()) << t.Output(3 + 2 * i);
  }
  ASSERT_NE(forward.front().substr(forward.front().rfind(' ')),
            forward.back().substr(forward.back().rfind(' ')))
      << "the steps did not cover a store to g_sum";
  const size_t back_at = 4 + 2 * kSteps;
  for (int i = 0; i < kSteps; ++i) {
    const std::string& step_output = t.Output(back_at + 2 * i);
    EXPECT_FALSE(Contains(step_output, "not supported")) << step_output;
    EXPECT_EQ(StateLine(t.Output(back_at + 2 * i + 1)), forward[kSteps - 1 - i])
        << "reverse-stepi " << i + 1;
  }
  // And on past the point `finish` stopped at: back into Halfway's return.
  for (int i = kSteps; i < kSteps + 2; ++i) {
    EXPECT_FALSE(Contains(t.Output(back_at + 2 * i), "not supported"));
    EXPECT_FALSE(StateLine(t.Output(back_at + 2 * i + 1)).empty());
  }
  EXPECT_TRUE(Contains(t.Output(back_at + 2 * kSteps + 2), "Halfway") ||
              Contains(t.Output(back_at + 2 * kSteps), "Halfway"))
      << t.Output(back_at + 2 * kSteps) << t.Output(back_at + 2 * kSteps + 2);
}

// Output past what was shown appears once the replay went back: the live
// replay is then a checkpoint's copy, which must echo too (it printed
// nothing after "one" before).
TEST_F(GdbLoopReverseTest, OutputAfterGoingBackIsShownOnce) {
  Recording rec = Record("syscall_rounds", {}, SyscallBufferOff());
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  GdbTranscript t = RunGdbOnReplay(
      rec.trace, Program("syscall_rounds"),
      {"break write", "continue", "continue", "reverse-continue", "delete", "continue"});
  SCOPED_TRACE(t.Describe());
  std::string all;
  for (size_t i = 0; i < 6; ++i) all += t.Output(i);
  EXPECT_TRUE(Contains(all, "round two")) << all;
  EXPECT_TRUE(Contains(all, "the third round")) << all;
  EXPECT_EQ(all.find("one\n"), all.rfind("one\n")) << "shown twice:\n" << all;
  EXPECT_EQ(all.find("round two"), all.rfind("round two")) << "shown twice:\n" << all;
}

}  // namespace
}  // namespace rwd::e2e
