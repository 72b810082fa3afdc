#include "replayer/checkpoint_set.h"

#include <gtest/gtest.h>

namespace rwd::replayer {
namespace {

TEST(CheckpointSet, KeepsEntriesOrderedByEvent) {
  CheckpointSet<int> set(10);
  set.Add(50, "", true, true, 0);
  set.Add(10, "", true, true, 0);
  set.Add(30, "named", false, false, 0);
  std::vector<uint64_t> events;
  for (const auto& e : set.entries()) events.push_back(e.info.event);
  EXPECT_EQ(events, (std::vector<uint64_t>{10, 30, 50}));
}

TEST(CheckpointSet, LatestBeforeSkipsMidEventCheckpointsOfTheSameEvent) {
  CheckpointSet<int> set(10);
  int start = set.Add(1, "start", true, true, 0);
  int boundary = set.Add(20, "", true, true, 0);
  int mid = set.Add(40, "mine", false, /*boundary=*/false, 0);
  EXPECT_EQ(set.LatestBefore(1).info.id, start);
  EXPECT_EQ(set.LatestBefore(20).info.id, boundary);
  EXPECT_EQ(set.LatestBefore(39).info.id, boundary);
  // A checkpoint taken mid-way through event 40 may lie after the target.
  EXPECT_EQ(set.LatestBefore(40).info.id, boundary);
  EXPECT_EQ(set.LatestBefore(41).info.id, mid);
  // Nothing qualifies before the first: the first is returned.
  EXPECT_EQ(set.LatestBefore(0).info.id, start);
}

TEST(CheckpointSet, ThinsAutomaticCheckpointsEvenlyAndKeepsTheFirstAndNamed) {
  CheckpointSet<int> set(3);
  set.Add(1, "start", true, true, 0);
  set.Add(100, "keep", false, true, 0);
  for (uint64_t e : {10, 20, 30, 60, 90}) set.Add(e, "", true, true, 0);
  size_t automatic = 0;
  bool has_start = false, has_named = false;
  for (const auto& e : set.entries()) {
    if (e.info.event == 1) has_start = true;
    if (e.info.name == "keep") has_named = true;
    if (e.info.automatic && e.info.event != 1) ++automatic;
  }
  EXPECT_TRUE(has_start);
  EXPECT_TRUE(has_named);
  EXPECT_EQ(automatic, 3u);
  // The densely spaced early ones go first: 90 and 60 survive.
  EXPECT_NE(set.Find("7"), nullptr);  // id 7 = event 90
}

TEST(CheckpointSet, FindsByIdOrName) {
  CheckpointSet<int> set(10);
  set.Add(1, "start", true, true, 1);
  int id = set.Add(5, "before-crash", false, false, 2);
  ASSERT_NE(set.Find("before-crash"), nullptr);
  EXPECT_EQ(set.Find("before-crash")->info.id, id);
  EXPECT_EQ(set.Find(std::to_string(id))->value, 2);
  EXPECT_EQ(set.Find("nope"), nullptr);
}

}  // namespace
}  // namespace rwd::replayer
