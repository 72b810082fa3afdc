// Intervals of a recording that pass without a snapshot (issue 16): the
// recorder says why with -v, one line per interval skipped, and keeps the
// count by reason in the trace, which `rewind info` shows. A process whose
// main thread ended cannot be snapshotted (it is read and restored through
// that thread): leader_exits_early's worker runs on for ~0.36 s after it.
#include <regex>
#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

TEST_F(E2ETest, IntervalsWithoutASnapshotAreExplainedAndCounted) {
  std::string trace = NewPath("trace");
  RunResult rec = Rewind(
      {"record", "-v", "--snapshot-interval", "0.05", "-o", trace, Program("leader_exits_early")});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(Contains(rec.out, "worker round 11\n")) << rec.Describe();
  size_t explained = 0;
  for (const std::string& line : Lines(rec.err)) {
    if (!Contains(line, "an interval passed without a snapshot (event ")) continue;
    EXPECT_TRUE(Contains(line, "): the main thread ended")) << line;
    ++explained;
  }
  EXPECT_GE(explained, 1u) << rec.err;
  EXPECT_TRUE(Contains(rec.err, " intervals passed without one")) << rec.err;

  RunResult info = Rewind({"info", trace});
  ASSERT_EQ(info.exit_status, 0) << info.Describe();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(info.out, m,
                                std::regex("\nskipped +([0-9]+) intervals without a snapshot\n")))
      << info.out;
  // As many as -v explained, all for that reason.
  EXPECT_EQ(std::stoull(m[1]), explained) << info.out;
  EXPECT_TRUE(
      AnyLineMatches(info.out, "^  " + std::to_string(explained) + " +the main thread ended$"))
      << info.out;
  // The trace replays as recorded all the same.
  RunResult replay = Rewind({"replay", "-a", trace});
  ASSERT_EQ(replay.exit_status, 0) << replay.Describe();
  EXPECT_TRUE(SameBytes(replay.out, rec.out));
}

}  // namespace
}  // namespace rwd::e2e
