// BreakpointTable: the breakpoint instructions planted in one address space
// (the debugger's and the replayer's own, for fingerprints), each with the
// bytes it replaced.
//
// A breakpoint whose instruction a probe displaced into its trampoline is
// planted on the instruction's copy there instead (PlantMoved): it still
// stands for its address and hides the program's bytes there.
//
// The table writes through a thread of that address space, which the
// caller picks (any live one will do: they share the memory). It knows
// nothing of who asked for a breakpoint; ReplaySession keeps that.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
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
  // A breakpoint for `addr`, whose bytes (`original`, the program's) a
  // probe's patch covers now, written on the copy of that instruction at
  // `at` instead. Nothing is written at `addr`.
  Status PlantMoved(Tracee& t, uint64_t addr, std::vector<uint8_t> original, uint64_t at);
  // The address whose breakpoint sits on its copy at `at`, if one does.
  std::optional<uint64_t> MovedFrom(uint64_t at) const;
  // Every breakpoint's address in [addr, addr + len).
  std::vector<uint64_t> In(uint64_t addr, uint64_t len) const;
  // Forgets the breakpoint at `addr`, writing the original bytes back
  // through `t` (null when no thread is left to write through); for a
  // moved one, the copy's bytes.
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
  struct Moved {
    uint64_t at = 0;               // where the instruction is
    std::vector<uint8_t> covered;  // the copy's bytes it replaced
  };
  Planted planted_;
  std::map<uint64_t, Moved> moved_;  // by address, a subset of planted_'s
};

}  // namespace rwd::replayer
