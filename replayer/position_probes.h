// PositionProbes: a ReplaySession's part that finds a point inside a loop at
// native speed, where a breakpoint would trap on every pass
// (replay_position_probe.cc). At most one probe is armed; a hit removes it
// and stops Continue() with kBreakpoint at its pc.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/probe_stub.h"
#include "replayer/position.h"
#include "replayer/replay_part.h"

namespace rwd::replayer {

class PositionProbes : public ReplayPart {
 public:
  explicit PositionProbes(ReplaySession& session) : ReplayPart(session) {}

  // Stops thread target.tid arriving at target.pc in exactly `target`'s
  // state, counting every arrival of any thread at that pc meanwhile.
  // kUnsupported when no probe fits there (a breakpoint, another probe, a
  // recorded signal's point or a thread inside the bytes it would replace;
  // no encoder): the caller uses a breakpoint instead.
  // `stack_window` (may be empty): FingerprintStackWindow at the target,
  // to find a stack word that tells passes apart where registers do not.
  Status ArmStateProbe(const Position& target, const std::vector<uint8_t>& stack_window);
  // Stops thread target.tid arriving at target.pc with exactly
  // target.regs, whatever its memory (target.stack_hash is not compared):
  // for a state known by its registers alone.
  Status ArmRegisterProbe(const Position& target);
  // FingerprintStackWindow of the current thread; empty if unreadable.
  std::vector<uint8_t> CurrentStackWindow() const;
  // Stops the `n`-th arrival (n >= 1) of any thread of the focus process at
  // `pc`, expected within the events up to `until_event`.
  Status ArmArrivalProbe(uint64_t pc, uint64_t n, uint64_t until_event);
  // Whether the instructions at `pc` of the focus process take a probe.
  bool PositionProbeFits(uint64_t pc);
  // Removes the probe if no hit did; returns its count: arrivals so far (a
  // state probe's, the hit included), arrivals still to come (0 after an
  // arrival probe's hit).
  Expected<uint64_t> DisarmPositionProbe();
  // At the probe's trap (`regs`, pc already back at the site): the stop to
  // report, or none when the state is not the target (the thread goes on).
  Expected<std::optional<ReplayStop>> OnPositionProbeHit(arch::Registers& regs);
  // The armed probe's patch; nullptr when none is armed.
  ProbeStub* stub() { return position_probe_ ? &position_probe_->stub : nullptr; }

 private:
  struct PositionProbe {
    PositionProbe(ProbeStub s, std::optional<Position> t)
        : stub(std::move(s)), target(std::move(t)) {}
    ProbeStub stub;
    std::optional<Position> target;  // a state probe's; none for an arrival probe
    uint64_t passes = 0;             // the count, once a hit removed the probe
    std::vector<uint8_t> target_window;
    std::vector<uint8_t> last_miss_window;  // at the last pass that was not it
    bool narrowed = false;
    bool registers_only = false;  // ArmRegisterProbe's: the stack is not compared
  };
  // At a state probe's miss (registers matched, the stack did not): after
  // two, reinstalls it comparing a stack word that separates passes, its
  // count carried over. `regs`: the thread at the site.
  Status NarrowPositionProbe(const arch::Registers& regs);
  // Why no probe may go at `pc` for the events up to `until_event`, or Ok.
  Status CheckPositionProbeSite(uint64_t pc, uint64_t until_event);
  Status ArmPositionProbe(uint64_t pc, std::optional<Position> target, uint64_t countdown,
                          uint64_t until_event);

  std::optional<PositionProbe> position_probe_;
};

}  // namespace rwd::replayer
