// ReplaySession: breakpoints (the debugger's, in the focus process, and the
// replayer's own for fingerprints) and memory reads. The planted instructions
// and the bytes they replaced: BreakpointTable (breakpoint_table.h).
#include <cinttypes>

#include "base/hex.h"
#include "replayer/replay_session.h"

namespace rwd::replayer {

Tracee* ReplaySession::TaskIn(const AddressSpace& mm) const {
  if (cur_ && cur_->mm.get() == &mm) return &cur_->tracee;
  for (const auto& t : tasks_) {
    if (t->mm.get() == &mm && !t->zombie) return &t->tracee;
  }
  return nullptr;
}

Status ReplaySession::Plant(AddressSpace& mm, uint64_t addr) {
  if (mm.breakpoints.Contains(addr)) return Status::Ok();
  Tracee* t = TaskIn(mm);
  if (!t) return Status(ErrorCode::kInvalidInput, "no thread runs in that address space");
  return mm.breakpoints.Plant(*t, addr);
}

Status ReplaySession::Unplant(AddressSpace& mm, uint64_t addr) {
  return mm.breakpoints.Unplant(TaskIn(mm), addr);
}

Status ReplaySession::RemoveBreakpointsFrom(const AddressSpace& mm, Tracee& task) {
  for (const auto& [addr, original] : mm.breakpoints) {
    RETURN_IF_ERROR(task.WriteMemory(addr, original));
  }
  return Status::Ok();
}

Status ReplaySession::RemoveProbesFrom(const AddressSpace& mm, Tracee& copy) {
  // A copy hitting a probe it has no record of would trap where nobody
  // expects it: a SIGTRAP reported as the program's.
  if (position_probe_ && &mm == focus_mm_.get()) {
    RETURN_IF_ERROR(position_probe_->stub.RemoveFrom(copy));
  }
  for (const auto& t : tasks_) {
    if (t->probe && t->mm.get() == &mm) RETURN_IF_ERROR(t->probe->RemoveFrom(copy));
  }
  return Status::Ok();
}

Status ReplaySession::InsertBreakpoint(uint64_t addr) {
  debugger_breakpoints_.insert(addr);
  for (const auto& t : tasks_) {
    // A breakpoint inside a probe's jump would cut it; the fingerprint
    // falls back to a breakpoint of its own.
    if (t->probe && t->mm == focus_mm_ && addr >= t->probe->pc() &&
        addr < t->probe->pc() + t->probe->patch_size()) {
      RETURN_IF_ERROR(DisarmFingerprint(*t));
    }
  }
  Status planted = breakpoints_suspended_ ? Status(ErrorCode::kInvalidInput, "suspended")
                                           : Plant(*focus_mm_, addr);
  if (!planted.ok()) {
    // Not mapped (yet): gdb keeps breakpoints in libraries inserted even
    // at points of the past before the library was loaded.
    deferred_breakpoints_.insert(addr);
  }
  return Status::Ok();
}

Status ReplaySession::RemoveBreakpoint(uint64_t addr) {
  debugger_breakpoints_.erase(addr);
  deferred_breakpoints_.erase(addr);
  for (const auto& t : tasks_) {
    if (t->mm == focus_mm_ && t->fingerprint_breakpoint == addr) return Status::Ok();
  }
  return Unplant(*focus_mm_, addr);
}

Status ReplaySession::RefreshBreakpoints() {
  // A mapping replaced or removed the memory under some breakpoints (ld.so
  // maps a library's text over its first, read-only mapping): plant again
  // where there is memory, defer the rest.
  RETURN_IF_ERROR(cur().mm->breakpoints.Refresh(tracee(), [this](uint64_t addr) {
    if (IsDebuggerBreakpoint(cur(), addr)) deferred_breakpoints_.insert(addr);
  }));
  return InFocus(cur()) ? PlantDeferred() : Status::Ok();
}

Status ReplaySession::SuspendDebuggerBreakpoints() {
  if (!InFocus(cur())) return Status::Ok();
  breakpoints_suspended_ = true;
  for (uint64_t addr : debugger_breakpoints_) {
    bool fingerprint = false;
    for (const auto& t : tasks_) {
      fingerprint |= t->mm == focus_mm_ && t->fingerprint_breakpoint == addr;
    }
    if (fingerprint || !focus_mm_->breakpoints.Contains(addr)) continue;
    RETURN_IF_ERROR(Unplant(*focus_mm_, addr));
    deferred_breakpoints_.insert(addr);
  }
  return Status::Ok();
}

Status ReplaySession::ResumeDebuggerBreakpoints() {
  if (!breakpoints_suspended_ || !InFocus(cur())) return Status::Ok();
  breakpoints_suspended_ = false;
  return PlantDeferred();
}

Status ReplaySession::PlantDeferred() {
  if (breakpoints_suspended_) return Status::Ok();
  for (auto it = deferred_breakpoints_.begin(); it != deferred_breakpoints_.end();) {
    if (Plant(*focus_mm_, *it).ok()) {
      it = deferred_breakpoints_.erase(it);
    } else {
      ++it;
    }
  }
  return Status::Ok();
}

Expected<std::optional<ReplayStop>> ReplaySession::StepOverBreakpoint() {
  using Stop = std::optional<ReplayStop>;
  // Continue asks before every event: answer without a ptrace call when no
  // breakpoint was reported.
  if (!cur_ || at_end_ || !cur().reported_breakpoint) return Stop();
  ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
  uint64_t pc = arch().Pc(regs);
  if (cur().reported_breakpoint != pc || !cur().mm->breakpoints.Contains(pc)) return Stop();
  // Only this thread may step now: with another thread's event next, the
  // step would move that one instead.
  ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
  if (ev && ev->tid != cur().tid) return Stop();
  ASSIGN_OR_RETURN(ReplayStop stop, Step());
  // Only a plain step is swallowed; a signal, exit or end is what Continue
  // would have reported anyway.
  if (stop.kind == ReplayStop::Kind::kStep) return Stop();
  return Stop(stop);
}

Expected<std::vector<uint8_t>> ReplaySession::ReadMemory(uint64_t addr, size_t len) const {
  Tracee* t = TaskIn(*focus_mm_);
  if (!t) return Status(ErrorCode::kInvalidInput, "the debugged process has no thread now");
  std::vector<uint8_t> bytes(len);
  ASSIGN_OR_RETURN(size_t n, t->ReadMemoryPartial(addr, bytes));
  if (n == 0 && len > 0) {
    return Status(ErrorCode::kInvalidInput, "cannot access memory at address " + Hex(addr));
  }
  bytes.resize(n);
  focus_mm_->patcher.Unpatch(addr, bytes);
  for (const auto& task : tasks_) {
    if (task->probe && task->mm == focus_mm_) task->probe->Unpatch(addr, bytes);
  }
  if (position_probe_) position_probe_->stub.Unpatch(addr, bytes);
  focus_mm_->breakpoints.Hide(addr, bytes);
  return bytes;
}

}  // namespace rwd::replayer
