#include "recorder/chaos_policy.h"

#include <sys/random.h>

#include <vector>

namespace rwd::recorder {

namespace {

constexpr int kPriorityLevels = 8;
// A thread runs before higher-priority ones in this share of picks anyway,
// so that a spin on another thread's progress cannot starve for long.
constexpr double kIgnorePriorities = 0.1;
constexpr double kBoundarySwitch = 1.0 / 16;
constexpr int kMaxPicksBetweenRedraws = 64;

}  // namespace

ChaosPolicy::ChaosPolicy() {
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) {
    seed = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  rng_.seed(seed);
}

std::chrono::microseconds ChaosPolicy::SliceLength() {
  // A third of the slices are very short: a thread is then preempted in the
  // middle of what it does, where races live; the others let threads make
  // progress, some for much longer than the default slice.
  std::uniform_int_distribution<int> kind(0, 2);
  std::uniform_int_distribution<int64_t> very_short_us(50, 1000);
  std::uniform_int_distribution<int64_t> short_us(1000, 3000);
  std::uniform_int_distribution<int64_t> long_us(3000, 30000);
  switch (kind(rng_)) {
    case 0:
      return std::chrono::microseconds(very_short_us(rng_));
    case 1:
      return std::chrono::microseconds(short_us(rng_));
    default:
      return std::chrono::microseconds(long_us(rng_));
  }
}

bool ChaosPolicy::SwitchAtBoundary() { return std::bernoulli_distribution(kBoundarySwitch)(rng_); }

bool ChaosPolicy::SwitchBeforeSyscall() {
  return std::bernoulli_distribution(kBoundarySwitch)(rng_);
}

void ChaosPolicy::RedrawPriorities(std::span<const pid_t> ready) {
  priorities_.clear();
  std::uniform_int_distribution<int> level(0, kPriorityLevels - 1);
  for (pid_t tid : ready) priorities_[tid] = level(rng_);
  picks_until_redraw_ = std::uniform_int_distribution<int>(1, kMaxPicksBetweenRedraws)(rng_);
}

size_t ChaosPolicy::Pick(std::span<const pid_t> ready) {
  if (--picks_until_redraw_ <= 0) RedrawPriorities(ready);
  if (std::bernoulli_distribution(kIgnorePriorities)(rng_)) {
    return std::uniform_int_distribution<size_t>(0, ready.size() - 1)(rng_);
  }
  std::uniform_int_distribution<int> level(0, kPriorityLevels - 1);
  int best = -1;
  std::vector<size_t> candidates;
  for (size_t i = 0; i < ready.size(); ++i) {
    auto [it, fresh] = priorities_.emplace(ready[i], 0);
    if (fresh) it->second = level(rng_);  // a thread created since the last draw
    if (it->second > best) {
      best = it->second;
      candidates.clear();
    }
    if (it->second == best) candidates.push_back(i);
  }
  return candidates[std::uniform_int_distribution<size_t>(0, candidates.size() - 1)(rng_)];
}

}  // namespace rwd::recorder
