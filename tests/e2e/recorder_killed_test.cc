// A recorder killed from outside (SIGKILL, so it cannot clean up) leaves a
// trace that replays up to its last complete chunk and says it was cut short.
#include <gtest/gtest.h>

#include "e2e_fixture.h"

namespace rwd::e2e {
namespace {

class RecorderKilledTest : public E2ETest {};

TEST_F(RecorderKilledTest, TraceReplaysUpToItsLastCompleteChunk) {
  RunOptions options;
  options.timeout = std::chrono::seconds(3);  // then the whole group gets SIGKILL
  Recording rec = Record("endless_writes", {}, options);
  ASSERT_TRUE(rec.timed_out) << rec.Describe();
  std::vector<std::string> recorded = Lines(rec.out);
  ASSERT_GT(recorded.size(), 100u) << "the program hardly ran: " << rec.Describe();

  RunResult replay = ReplayAutopilot(rec.trace);
  EXPECT_FALSE(replay.Crashed()) << replay.Describe();
  EXPECT_FALSE(replay.timed_out);
  EXPECT_NE(replay.exit_status, 0);
  EXPECT_TRUE(Contains(replay.err, "cut short")) << replay.err;
  // Everything replayed is a prefix of what was recorded, and the flushes
  // every half second kept most of it.
  std::vector<std::string> replayed = Lines(replay.out);
  ASSERT_LE(replayed.size(), recorded.size());
  EXPECT_GT(replayed.size(), recorded.size() / 3) << "too little survived the kill";
  for (size_t i = 0; i < replayed.size(); ++i) {
    ASSERT_EQ(replayed[i], recorded[i]) << "line " << i;
  }
  // A second replay of the damaged trace gives the same result.
  RunResult again = ReplayAutopilot(rec.trace);
  EXPECT_EQ(again.out, replay.out);
  EXPECT_EQ(again.exit_status, replay.exit_status);
}

}  // namespace
}  // namespace rwd::e2e
