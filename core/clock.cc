#include "core/clock.h"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace rwd {

namespace {

std::chrono::steady_clock::time_point FromTimespec(const timespec& ts) {
  auto since_boot = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(since_boot));
}

}  // namespace

std::chrono::steady_clock::time_point MonotonicNow() {
  timespec ts{};
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
  return FromTimespec(ts);
}

std::chrono::steady_clock::time_point CoarseNow() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return FromTimespec(ts);
}

}  // namespace rwd
