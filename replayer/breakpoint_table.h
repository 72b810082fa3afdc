// BreakpointTable: the breakpoint instructions planted in one address space
// (the debugger's and the replayer's own, for fingerprints), each with the
// bytes it replaced.
//
// The table writes through a thread of that address space, which the
// caller picks (any live one will do: they share the memory). It knows
// nothing of who asked for a breakpoint; ReplaySession keeps that.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <vector>

#include "base/status.h"
#include "core/tracee.h"

namespace rwd::replayer {

class BreakpointTable {
 public:
  using Planted = std::map<uint64_t, std::vector<uint8_t>>;  // addr -> original bytes

  bool Contains(uint64_t addr) const { return planted_.contains(addr); }
  // The bytes the breakpoint at `addr` replaced; nullptr when none is there.
  const std::vector<uint8_t>* OriginalAt(uint64_t addr) const;
  // Whether one is planted in [addr, addr + len).
  bool AnyIn(uint64_t addr, uint64_t len) const;

  // Writes the breakpoint instruction at `addr` through `t`, keeping the
  // bytes it replaces. Nothing to do when one is planted there already.
  Status Plant(Tracee& t, uint64_t addr);
  // Forgets the breakpoint at `addr`, writing the original bytes back
  // through `t` (null when no thread is left to write through).
  Status Unplant(Tracee* t, uint64_t addr);
  // After a mapping change: where the mapping replaced the instruction,
  // plants it again over the new bytes; where the memory is gone, forgets
  // the breakpoint and tells `on_lost` its address.
  Status Refresh(Tracee& t, const std::function<void(uint64_t)>& on_lost);
  // `bytes` as read at `addr`: the planted instructions in them replaced by
  // the bytes they hide.
  void Hide(uint64_t addr, std::span<uint8_t> bytes) const;

  Planted::const_iterator begin() const { return planted_.begin(); }
  Planted::const_iterator end() const { return planted_.end(); }

 private:
  Planted planted_;
};

}  // namespace rwd::replayer
