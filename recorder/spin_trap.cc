// SpinTrap: preempts a spinning thread as soon as it spins again.
#include "recorder/spin_trap.h"

#include <signal.h>

#include "core/stack_hash.h"
#include "recorder/record_session.h"

namespace rwd::recorder {

namespace {

// Passes in a row with the registers and stack of the pass before that make
// a spin. One is enough: with no other thread running, a pass that changes
// neither can only differ from the next through memory it writes, and a
// second pass would not show that either (the executable's globals, which
// the fingerprint hashes, do tell such passes apart at replay).
constexpr int kRepeatsForSpin = 1;
// Passes after which a loop still changing its registers is taken to
// compute. A spin's first passes differ: the one still reading what the
// thread saw before it was switched away from, the one arriving from the
// code between two waits (other flags), then the first that only waits.
constexpr size_t kMaxPasses = 5;

}  // namespace

Expected<bool> SpinTrap::Resume(RecordTask& task) {
  // A pass counter may sit at the spin site (recorder/pass_counter.h).
  if (!task.spinning || task.spin_site == 0 || task.pass_probe || s_.scheduler_.chaos() || task.pending ||
      task.reinjected || !task.deferred.empty() || task.stop_sent ||
      task.state != RecordTask::State::kStopped || !s_.scheduler_.OthersReady(task)) {
    return false;
  }
  // Unreadable (killed meanwhile): resumed as usual, its death follows.
  Expected<arch::Registers> regs = task.tracee.GetRegisters();
  if (!regs.ok() || task.tracee.arch().Pc(*regs) != task.spin_site) return false;
  task.spin_watch.emplace();
  ASSIGN_OR_RETURN(bool planted, Plant(task));
  if (!planted) {
    task.spin_watch.reset();
    return false;
  }
  RETURN_IF_ERROR(RecordPart::Resume(task));
  return true;
}

Expected<bool> SpinTrap::Plant(RecordTask& task) {
  const arch::Arch& arch = task.tracee.arch();
  // A SIGSTOP on its way would stop the step, and be lost there.
  if (task.stop_sent) return false;
  // The thread stands on the site: the instruction there runs first.
  RETURN_IF_ERROR(s_.signals_.StepOnce(task));
  ASSIGN_OR_RETURN(arch::Registers regs, task.tracee.GetRegisters());
  if (arch.Pc(regs) == task.spin_site || !task.deferred.empty()) return false;
  std::span<const uint8_t> bkpt = arch.BreakpointInsn();
  std::vector<uint8_t>& original = task.spin_watch->original;
  original.assign(bkpt.size(), 0);
  ASSIGN_OR_RETURN(size_t got, task.tracee.ReadMemoryPartial(task.spin_site, original));
  if (got != original.size()) return false;
  RETURN_IF_ERROR(task.tracee.WriteMemory(task.spin_site, bkpt));
  return true;
}

Status SpinTrap::Unplant(RecordTask& task) {
  if (task.spin_watch->original.empty()) return Status::Ok();
  Status s = task.tracee.WriteMemory(task.spin_site, task.spin_watch->original);
  task.spin_watch->original.clear();
  return s;
}

Expected<bool> SpinTrap::OnStop(RecordTask& task, const WaitStatus& ws) {
  if (!task.spin_watch) return false;
  Status unplanted = Unplant(task);
  // Dead meanwhile: its death notification follows.
  if (unplanted.code() == ErrorCode::kTraceeExited) {
    task.spin_watch.reset();
    return false;
  }
  RETURN_IF_ERROR(unplanted);
  const arch::Arch& arch = task.tracee.arch();
  ASSIGN_OR_RETURN(arch::Registers regs, task.tracee.GetRegisters());
  bool ours = ws.kind == WaitStatus::Kind::kSignalStop && ws.signo == SIGTRAP &&
              arch.Pc(regs) - arch.BreakpointTrapPcOffset() == task.spin_site;
  if (!ours) {
    // Anything else (a syscall, a signal, the scheduler's SIGSTOP) is
    // handled as it would be without the breakpoint.
    task.spin_watch.reset();
    return false;
  }
  arch.SetPc(regs, task.spin_site);
  RETURN_IF_ERROR(task.tracee.SetRegisters(regs));
  RecordTask::SpinWatch& watch = *task.spin_watch;
  std::vector<uint8_t> stack = FingerprintStackWindow(task.tracee, regs);
  bool same = !watch.passes.empty() && arch.SameProgramState(watch.passes.back(), regs) &&
              stack == watch.last_stack;
  watch.repeats = same ? watch.repeats + 1 : 0;
  watch.passes.push_back(regs);
  watch.last_stack = std::move(stack);
  if (watch.repeats >= kRepeatsForSpin) {
    task.spin_watch.reset();
    if (!s_.scheduler_.OthersReady(task) || !task.deferred.empty() || task.stop_sent) {
      // Nobody to hand over to (the one it waits for is in a syscall), or a
      // stop is due anyway: the usual slice and stop handle it.
      RETURN_IF_ERROR(RecordPart::Resume(task));
      return true;
    }
    // It spins again, at a site replay's probe finds, with nothing that
    // tells its passes apart: preempt it here. Back in the very state of
    // its last event (nothing it waits for changed), it needs no event.
    if (!s_.signals_.AtBoundary(task, regs)) {
      RETURN_IF_ERROR(s_.signals_.RecordPreempt(task, regs, std::nullopt));
    }
    task.boundary_regs = regs;
    s_.scheduler_.SwitchAway(task);
    return true;
  }
  // Past kMaxPasses, a loop that computes through the site: trapping on
  // every pass would cost more than the short slice a spinning thread
  // keeps, which ends it if it spins again.
  bool planted = false;
  if (watch.passes.size() < kMaxPasses) {
    ASSIGN_OR_RETURN(planted, Plant(task));
  }
  if (!planted) task.spin_watch.reset();
  RETURN_IF_ERROR(RecordPart::Resume(task));
  return true;
}

}  // namespace rwd::recorder
