#include <gtest/gtest.h>

#include <type_traits>

#include "base/thread_id.h"

namespace rwd {
namespace {

// Recorded and live ids do not mix, and neither is a bare pid_t.
static_assert(!std::is_convertible_v<RecordedTid, LiveTid>);
static_assert(!std::is_convertible_v<LiveTid, RecordedTid>);
static_assert(!std::is_constructible_v<LiveTid, RecordedTid>);
static_assert(!std::is_convertible_v<pid_t, RecordedTid>);
static_assert(!std::is_convertible_v<RecordedTid, pid_t>);

TEST(ThreadIdTest, KeepsItsValue) {
  EXPECT_EQ(RecordedTid(1234).value(), 1234);
  EXPECT_EQ(LiveTid(77).ToString(), "77");
}

TEST(ThreadIdTest, ValidOnlyForARealThread) {
  EXPECT_FALSE(RecordedTid().valid());
  EXPECT_FALSE(LiveTid(-1).valid());
  EXPECT_TRUE(LiveTid(1).valid());
}

TEST(ThreadIdTest, ComparesWithinItsKind) {
  EXPECT_EQ(RecordedTid(10), RecordedTid(10));
  EXPECT_LT(RecordedTid(10), RecordedTid(11));
  EXPECT_NE(LiveTid(3), LiveTid(4));
}

}  // namespace
}  // namespace rwd
