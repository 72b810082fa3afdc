#include <gtest/gtest.h>

#include <type_traits>

#include "base/remote_addr.h"

namespace rwd {
namespace {

// A plain integer is not an address, nor is an address an integer.
static_assert(!std::is_convertible_v<uint64_t, RemoteAddr>);
static_assert(!std::is_convertible_v<RemoteAddr, uint64_t>);
static_assert(!std::is_convertible_v<RemoteAddr, const void*>);

TEST(RemoteAddrTest, DefaultIsNull) {
  EXPECT_TRUE(RemoteAddr().is_null());
  EXPECT_FALSE(RemoteAddr(0x1000).is_null());
}

TEST(RemoteAddrTest, OffsetsAndDistances) {
  RemoteAddr base(0x7fff0000);
  EXPECT_EQ((base + 0x10).value(), 0x7fff0010u);
  EXPECT_EQ((base - 0x10).value(), 0x7ffefff0u);
  EXPECT_EQ((base + 0x40) - base, 0x40u);
  RemoteAddr moving = base;
  moving += 8;
  EXPECT_EQ(moving, RemoteAddr(0x7fff0008));
}

TEST(RemoteAddrTest, OrdersByValue) {
  EXPECT_LT(RemoteAddr(1), RemoteAddr(2));
  EXPECT_EQ(RemoteAddr(5), RemoteAddr(5));
  EXPECT_NE(RemoteAddr(5), RemoteAddr(6));
}

TEST(RemoteAddrTest, PrintsAsHex) { EXPECT_EQ(Hex(RemoteAddr(0xdeadbeef)), "0xdeadbeef"); }

}  // namespace
}  // namespace rwd
