// SignalReplayer's probes: the in-process probes that find a fingerprinted
// signal or preemption inside a loop, the breakpoints they displace, and
// getting a stopped thread out of their trampolines so that the debugger
// sees the program's own code and registers.
#include <signal.h>

#include <algorithm>

#include "base/hex.h"
#include "core/stack_hash.h"
#include "replayer/replay_session.h"

namespace rwd::replayer {

namespace {

// Single-steps through a trampoline before giving up: the longest one (the
// vector registers compared) runs about 150 instructions.
constexpr int kMaxTrampolineSteps = 1000;

}  // namespace

Status SignalReplayer::NarrowProbe(ReplayTask& t, const arch::Registers& target,
                                   std::span<const uint8_t> vectors,
                                   const std::vector<uint8_t>& recorded,
                                   const arch::Registers& regs) {
  // The probe traps on every pass whose registers match; two such passes
  // show which stack word counts them, and a probe that also compares it
  // lets the loop run on at full speed up to the recorded pass.
  std::vector<uint8_t> window = FingerprintStackWindow(tracee(), regs);
  std::vector<uint8_t> previous = std::exchange(t.last_miss_window, window);
  if (previous.empty()) return Status::Ok();
  std::optional<ProbeMemCheck> word = WordSeparatingPasses(recorded, previous, window);
  if (!word) return Status::Ok();
  uint64_t pc = t.probe->pc();
  // One probe per site: the new one reads the original bytes.
  RETURN_IF_ERROR(RemoveProbe(t));
  auto narrowed = InstallProbe(t, pc, target, word, vectors, false);
  if (!narrowed.ok()) {
    // Keep a probe that traps on every pass.
    narrowed = InstallProbe(t, pc, target, std::nullopt, vectors, false);
    if (!narrowed.ok()) return narrowed.status();
  }
  t.probe = std::move(*narrowed);
  t.last_miss_window.clear();
  return Status::Ok();
}

Status SignalReplayer::DisarmFingerprint(ReplayTask& t) {
  t.last_miss_window.clear();
  RETURN_IF_ERROR(RemoveProbe(t));
  if (t.fingerprint_breakpoint) {
    uint64_t addr = *t.fingerprint_breakpoint;
    t.fingerprint_breakpoint.reset();
    t.fingerprint_breakpoint_for_step = false;
    if (!s_.breakpoints_.IsDebuggerBreakpoint(t, addr))
      RETURN_IF_ERROR(s_.breakpoints_.Unplant(*t.mm, addr));
  }
  return Status::Ok();
}

Expected<ProbeStub> SignalReplayer::InstallProbe(ReplayTask& t, uint64_t pc,
                                                 const arch::Registers& target,
                                                 std::optional<ProbeMemCheck> word,
                                                 std::span<const uint8_t> vectors,
                                                 bool move_inside) {
  BreakpointTable& table = t.mm->breakpoints;
  ProbeStub::Placement placement;
  placement.program_code = [&table](uint64_t addr, std::span<uint8_t> bytes) {
    table.Hide(addr, bytes);
  };
  placement.move_tracee_inside = move_inside;
  ASSIGN_OR_RETURN(ProbeStub probe,
                   ProbeStub::Install(t.tracee, t.mm->probe_pages, t.mm->patcher.syscall_insn(), pc,
                                      target, word, vectors, placement));
  return MoveCoveredBreakpoints(t, std::move(probe));
}

Expected<ProbeStub> SignalReplayer::InstallCountdown(ReplayTask& t, uint64_t pc, uint64_t passes) {
  BreakpointTable& table = t.mm->breakpoints;
  ProbeStub::Placement placement;
  placement.program_code = [&table](uint64_t addr, std::span<uint8_t> bytes) {
    table.Hide(addr, bytes);
  };
  ASSIGN_OR_RETURN(ProbeStub probe,
                   ProbeStub::InstallCountdown(t.tracee, t.mm->probe_pages,
                                               t.mm->patcher.syscall_insn(), pc, passes, placement));
  return MoveCoveredBreakpoints(t, std::move(probe));
}

Expected<ProbeStub> SignalReplayer::MoveCoveredBreakpoints(ReplayTask& t, ProbeStub probe) {
  BreakpointTable& table = t.mm->breakpoints;
  const uint64_t pc = probe.pc();
  // The patch covered the breakpoints planted in the bytes it displaced:
  // each goes on its instruction's copy, where a thread now executes it.
  const std::vector<uint64_t> covered = table.In(pc, probe.patch_size());
  const bool all_copied = std::all_of(covered.begin(), covered.end(), [&](uint64_t addr) {
    return probe.CopyOf(addr).has_value();
  });
  for (uint64_t addr : covered) {
    std::vector<uint8_t> original = *table.OriginalAt(addr);
    RETURN_IF_ERROR(table.Unplant(nullptr, addr));
    if (all_copied) {
      RETURN_IF_ERROR(table.PlantMoved(t.tracee, addr, std::move(original), *probe.CopyOf(addr)));
    }
  }
  if (all_copied) return probe;
  // A breakpoint not at the start of a displaced instruction (or an encoder
  // that does not say where the copies are): the breakpoints stay.
  RETURN_IF_ERROR(probe.Remove(t.tracee));
  for (uint64_t addr : covered) RETURN_IF_ERROR(table.Plant(t.tracee, addr));
  return Status(ErrorCode::kUnsupported,
                "a breakpoint sits inside an instruction a probe at " + Hex(pc) + " displaces");
}

Status SignalReplayer::RemoveProbe(ReplayTask& t) {
  // Its count is lost: the point is looked for by its fingerprint alone.
  t.probe_counts_passes = false;
  if (!t.probe) return Status::Ok();
  ProbeStub probe = std::move(*t.probe);
  t.probe.reset();
  if (!probe.installed()) return Status::Ok();
  BreakpointTable& table = t.mm->breakpoints;
  const std::vector<uint64_t> moved = table.In(probe.pc(), probe.patch_size());
  for (uint64_t addr : moved) RETURN_IF_ERROR(table.Unplant(&t.tracee, addr));
  RETURN_IF_ERROR(probe.Remove(t.tracee));
  for (uint64_t addr : moved) RETURN_IF_ERROR(table.Plant(t.tracee, addr));
  return Status::Ok();
}

Status SignalReplayer::ProbeGivesWay(ReplayTask& t) {
  if (!t.probe || !t.probe->installed()) return Status::Ok();
  const uint64_t site = t.probe->pc();
  RETURN_IF_ERROR(DisarmFingerprint(t));
  RETURN_IF_ERROR(s_.breakpoints_.Plant(*t.mm, site));
  t.fingerprint_breakpoint = site;
  t.fingerprint_breakpoint_for_step = true;
  return Status::Ok();
}

Expected<bool> SignalReplayer::LeaveProbeCopy(arch::Registers& regs, uint64_t at) {
  for (const auto& t : s_.threads_) {
    if (t->mm != cur().mm || !t->probe || !t->probe->installed()) continue;
    std::optional<uint64_t> original = t->probe->OriginalOf(at);
    if (!original) continue;
    // The probe gives way to a breakpoint until its thread next continues
    // (a step must not walk the trampoline, nor a step over the debugger's
    // breakpoint at the site miss the point).
    RETURN_IF_ERROR(ProbeGivesWay(*t));
    arch().SetPc(regs, *original);
    RETURN_IF_ERROR(tracee().SetRegisters(regs));
    return true;
  }
  return false;
}

bool SignalReplayer::BreakpointNear(const AddressSpace& mm, uint64_t pc) const {
  // A probe's jump covers up to 16 bytes from pc; a breakpoint there would
  // cut it.
  return mm.breakpoints.AnyIn(pc, 16);
}

Status SignalReplayer::LeaveTrampoline(arch::Registers& regs) {
  ReplayTask& t = cur();
  // A step would deliver the signal replay queued, and its stop be lost.
  if (t.signal_queued || t.pending_signal != 0) return Status::Ok();
  const arch::Arch& a = arch();
  for (int steps = 0; steps < kMaxTrampolineSteps; ++steps) {
    const uint64_t pc = a.Pc(regs);
    if (t.probe && t.probe->installed() && pc == t.probe->trap_pc()) {
      // At its probe's trap every register is the thread's own, as on
      // arriving at the site.
      a.SetPc(regs, t.probe->pc());
      RETURN_IF_ERROR(tracee().SetRegisters(regs));
      break;
    }
    if (!t.mm->probe_pages.InCode(pc)) break;
    // A copy of a displaced instruction stands for the instruction.
    ASSIGN_OR_RETURN(bool left, LeaveProbeCopy(regs, pc));
    if (left) return Status::Ok();
    // Elsewhere in the comparisons, registers are scratch (their values
    // saved in the probe's data): run on to one of the points above, or
    // out through the jump back to the program.
    RETURN_IF_ERROR(tracee().Resume(ResumeMode::kSingleStep));
    ASSIGN_OR_RETURN(WaitStatus ws, tracee().Wait());
    if (ws.kind != WaitStatus::Kind::kSignalStop || ws.signo != SIGTRAP) {
      return Status(ErrorCode::kError, "thread " + std::to_string(t.tid) +
                                           " stopped inside a probe's trampoline at " + Hex(pc) +
                                           " with " + ws.ToString() + " while stepping out of it");
    }
    ASSIGN_OR_RETURN(regs, tracee().GetRegisters());
  }
  if (!t.probe || !t.probe->installed() || a.Pc(regs) != t.probe->pc()) return Status::Ok();
  // At its probe's site, not compared yet: this may be the point.
  bool preempted = false;
  ASSIGN_OR_RETURN(bool reached, ReachedFingerprint(regs, &preempted));
  if (preempted) {
    (void)AfterEvent(false);
    return Status::Ok();
  }
  if (reached || !t.probe) return Status::Ok();  // the signal is delivered on resuming
  // It is not: the probe gives way to a breakpoint until the thread next
  // continues, as at a displaced instruction's copy (a step from here would
  // execute the breakpoint a step plants at the point).
  return ProbeGivesWay(t);
}

}  // namespace rwd::replayer
