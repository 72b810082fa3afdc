// Hex and SignalName: the spellings rewind's messages use.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "base/hex.h"
#include "base/signal_name.h"

namespace rwd {
namespace {

TEST(Hex, LowercaseWithPrefix) {
  EXPECT_EQ(Hex(0), "0x0");
  EXPECT_EQ(Hex(0x7ffd8c0e1a30), "0x7ffd8c0e1a30");
  EXPECT_EQ(Hex(UINT64_MAX), "0xffffffffffffffff");
}

TEST(SignalName, NamedAndUnnamed) {
  EXPECT_EQ(SignalName(SIGSEGV), "SIGSEGV");
  EXPECT_EQ(SignalName(SIGUSR1), "SIGUSR1");
  EXPECT_EQ(SignalName(0), "signal 0");
  EXPECT_EQ(SignalName(200), "signal 200");
}

}  // namespace
}  // namespace rwd
