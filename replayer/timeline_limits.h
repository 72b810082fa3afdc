// The Timeline's search limits and the errors its searches end with,
// shared by its files (timeline.cc, timeline_positions.cc).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "base/status.h"
#include "replayer/position.h"
#include "replayer/replay_stop.h"

namespace rwd::replayer {

// Enough for the stepping gdb does within a few source lines; older states
// are found again by a new search.
inline constexpr size_t kMaxTrail = 100000;
// A predecessor search single-steps at most this far (~20 us a step).
inline constexpr uint64_t kMaxPredecessorSteps = 200000;
// Arrivals at a call site with the registers of the call that entered a
// function (Timeline::CallBefore) that step somewhere else, before that
// candidate is given up: a loop calling with the same registers while
// memory differs.
inline constexpr int kMaxCallerArrivals = 64;
// Breakpoint traps (~20 us each) Timeline::RunToRegisters spends where no
// probe fits: a call site run this often before the target is better left
// to the search from the previous visit, which is then near.
inline constexpr uint64_t kMaxCallerTraps = 20000;
// Steps of a predecessor search after which Timeline::FromInsnBefore is
// tried: a short search is cheaper, a long one means a loop ran between the
// previous visit and the target.
inline constexpr uint64_t kQuickPredecessorSteps = 2000;

inline bool IsEnd(const ReplayStop& stop) {
  return stop.kind == ReplayStop::Kind::kExited || stop.kind == ReplayStop::Kind::kEndOfTrace;
}

inline Status Lost(const Position& p, const std::string& why) {
  char buf[128];
  snprintf(buf, sizeof(buf), "could not reach the position at event %llu, pc 0x%llx again: ",
           static_cast<unsigned long long>(p.event), static_cast<unsigned long long>(p.pc));
  return Status(ErrorCode::kDivergence, buf + why);
}

// A search that would take too long: a limit of this implementation, not
// a divergence.
inline Status TooFar(const Position& p, const std::string& why) {
  char buf[160];
  snprintf(buf, sizeof(buf), "going back from event %llu, pc 0x%llx is not supported here: ",
           static_cast<unsigned long long>(p.event), static_cast<unsigned long long>(p.pc));
  return Status(ErrorCode::kUnsupported, buf + why);
}

}  // namespace rwd::replayer
