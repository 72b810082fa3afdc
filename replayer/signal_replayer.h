// SignalReplayer: a ReplaySession's part that replays signals and
// preemptions. A synchronous signal is matched at the stop it causes; an
// asynchronous one or a preemption is placed where the recorder stopped the
// thread, found by its fingerprint (registers and a stack hash) with a
// breakpoint or, in hot loops, an in-process probe, and the recorded
// siginfo replaces the kernel's at delivery.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/probe_stub.h"
#include "replayer/replay_part.h"

namespace rwd::replayer {

class SignalReplayer : public ReplayPart {
 public:
  explicit SignalReplayer(ReplaySession& session) : ReplayPart(session) {}

  Expected<std::optional<ReplayStop>> OnSignalStop(int signo, bool step);
  // `stepping`: the thread is about to be single-stepped, which must not
  // walk into a probe's trampoline.
  Status InjectPendingAsyncSignal(bool stepping);
  // Removes the probe or breakpoint waiting for `t`'s fingerprint.
  Status DisarmFingerprint(ReplayTask& t);
  // Replaces `t`'s probe by a breakpoint at its site until `t` next
  // continues, when it installs the probe again (over the code as it is then).
  Status ProbeGivesWay(ReplayTask& t);
  // Whether where `t` stops for a recorded preemption (the next event) can
  // matter to anyone: false for a process of one thread, sharing no
  // writable memory, that the debugger does not look at, unless a signal
  // without a fingerprint of its own is delivered there. Replay lets such a
  // thread run on to its next event when its turn comes instead of finding
  // the point.
  Expected<bool> PreemptionPointObservable(const ReplayTask& t) const;
  // A breakpoint sits within the 16 bytes from `pc`, the most a probe
  // there may replace (position probes, which cannot share them).
  bool BreakpointNear(const AddressSpace& mm, uint64_t pc) const;
  // If `at` (a thread of the current address space stopped there) starts a
  // probe's copy of a displaced instruction: replaces that probe by a
  // breakpoint (its thread arms the probe again when it next continues)
  // and moves the current thread,
  // `regs`, to the instruction's own address. Returns whether it did.
  Expected<bool> LeaveProbeCopy(arch::Registers& regs, uint64_t at);
  // For an interrupt: if the current thread, `regs`, is stopped inside a
  // probe's trampoline, moves it to the program address the trampoline
  // stands for, with the program's own registers, single-stepping it to the
  // first point where those are known (its probe's trap, a displaced
  // instruction's copy, the jump back). A thread left at its own probe's
  // site is checked against the fingerprint there, and the probe gives way
  // to a breakpoint until it next continues, so a step shows the program.
  Status LeaveTrampoline(arch::Registers& regs);

 private:
  // Whether `t`'s writable memory hashes to `recorded` (trace::SignalEvent::
  // memory_hash; 0: not recorded, always true). With `recorded_pages`
  // (memory_pages), remembers which pages differed, and while one of those
  // still does, answers without reading the rest.
  Expected<bool> SameWritableMemory(ReplayTask& t, uint64_t recorded,
                                    const std::vector<uint8_t>* recorded_pages);
  // At a probe's miss (registers matched, stack did not): after two misses,
  // reinstalls the probe comparing a stack word that separates the passes.
  // `vectors`: the target's vector registers, compared as the first probe did.
  Status NarrowProbe(ReplayTask& t, const arch::Registers& target, std::span<const uint8_t> vectors,
                     const std::vector<uint8_t>& recorded, const arch::Registers& regs);
  // `t`'s probe for a fingerprint at `pc` (see ProbeStub::Install;
  // `move_inside`: Placement::move_tracee_inside), planned on the program's
  // code. Breakpoints in the bytes it displaces move onto their copies in
  // the trampoline.
  Expected<ProbeStub> InstallProbe(ReplayTask& t, uint64_t pc, const arch::Registers& target,
                                   std::optional<ProbeMemCheck> word,
                                   std::span<const uint8_t> vectors, bool move_inside);
  // Removes `t`'s probe, if any; breakpoints on its copies go back.
  Status RemoveProbe(ReplayTask& t);
  // A probe at `pc` that traps at the thread's `passes`-th arrival there,
  // placed as InstallProbe places one.
  Expected<ProbeStub> InstallCountdown(ReplayTask& t, uint64_t pc, uint64_t passes);
  // The rest of installing `probe`: the breakpoints in the bytes it
  // displaced go onto their copies, or the probe is taken out again.
  Expected<ProbeStub> MoveCoveredBreakpoints(ReplayTask& t, ProbeStub probe);
  // At a state where a fingerprinted signal or preemption may be due:
  // acts when `regs` match. Returns whether it did.
  Expected<bool> ReachedFingerprint(const arch::Registers& regs, bool* preempted);
};

}  // namespace rwd::replayer
