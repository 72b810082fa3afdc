// ForkAdvice's bookkeeping, shared by the recorder (its snapshots carry the
// ranges) and replay (which emulates the advice): madvise adds and removes
// ranges, the address-space syscalls forget them, and the ranges a
// snapshot keeps give the same state back.
#include <gtest/gtest.h>

#include <array>

#include "core/fork_advice.h"

namespace rwd {
namespace {

constexpr uint64_t kDontFork = 10, kDoFork = 11, kWipeOnFork = 18;
constexpr uint64_t kPage = 4096;

std::array<uint64_t, 6> Args(uint64_t a, uint64_t b, uint64_t c = 0) { return {a, b, c, 0, 0, 0}; }

TEST(ForkAdviceTest, MadviseAndUnmapsShapeTheRanges) {
  ForkAdvice advice;
  advice.Track(arch::Special::kMadvise, Args(0x10000, 4 * kPage, kDontFork), 0);
  advice.Track(arch::Special::kMadvise, Args(0x20000, 100, kWipeOnFork), 0);
  // A failed madvise changes nothing.
  advice.Track(arch::Special::kMadvise, Args(0x40000, kPage, kDontFork), -12);
  using Ranges = std::vector<ForkAdvice::Range>;
  EXPECT_EQ(advice.DontForkRanges(), (Ranges{{0x10000, 0x14000}}));
  EXPECT_EQ(advice.WipeOnForkRanges(), (Ranges{{0x20000, 0x21000}}));  // whole pages
  // MADV_DOFORK in the middle splits it; munmap of the end forgets it.
  advice.Track(arch::Special::kMadvise, Args(0x11000, kPage, kDoFork), 0);
  advice.Track(arch::Special::kMunmap, Args(0x13000, kPage), 0);
  EXPECT_EQ(advice.DontForkRanges(), (Ranges{{0x10000, 0x11000}, {0x12000, 0x13000}}));
  // A mapping made anew over a range loses its advice (mmap returns where).
  advice.Track(arch::Special::kMmap, Args(0, kPage), 0x20000);
  EXPECT_TRUE(advice.WipeOnForkRanges().empty());
  EXPECT_FALSE(advice.empty());
}

TEST(ForkAdviceTest, RangesGiveTheSameStateBack) {
  ForkAdvice advice;
  advice.Advise(0x10000, 2 * kPage, kDontFork);
  advice.Advise(0x30000, kPage, kWipeOnFork);
  ForkAdvice again = ForkAdvice::FromRanges(advice.DontForkRanges(), advice.WipeOnForkRanges());
  EXPECT_EQ(again.DontForkRanges(), advice.DontForkRanges());
  EXPECT_EQ(again.WipeOnForkRanges(), advice.WipeOnForkRanges());
  // A fork's child keeps only the wiped ranges' advice.
  EXPECT_TRUE(again.InChild().DontForkRanges().empty());
  EXPECT_EQ(again.InChild().WipeOnForkRanges(), advice.WipeOnForkRanges());
}

}  // namespace
}  // namespace rwd
