// ReplayBreakpoints: breakpoints (the debugger's, in the focus process, and the
// replayer's own for fingerprints) and memory reads. The planted instructions
// and the bytes they replaced: BreakpointTable (breakpoint_table.h).
#include <cinttypes>

#include "base/hex.h"
#include "replayer/replay_session.h"

namespace rwd::replayer {

Status ReplayBreakpoints::Plant(AddressSpace& mm, uint64_t addr) {
  if (mm.breakpoints.Contains(addr)) return Status::Ok();
  Tracee* t = s_.TaskIn(mm);
  if (!t) return Status(ErrorCode::kInvalidInput, "no thread runs in that address space");
  for (const auto& task : s_.threads_) {
    if (task->mm.get() != &mm || !task->probe || !task->probe->installed() ||
        !task->probe->Covers(addr)) {
      continue;
    }
    // The probe's patch covers addr: the breakpoint goes on the copy of the
    // instruction, which threads execute instead.
    if (std::optional<uint64_t> copy = task->probe->CopyOf(addr)) {
      std::vector<uint8_t> original(arch().BreakpointInsn().size());
      ASSIGN_OR_RETURN(size_t n, t->ReadMemoryPartial(addr, original));
      original.resize(n);
      task->probe->Unpatch(addr, original);
      return mm.breakpoints.PlantMoved(*t, addr, std::move(original), *copy);
    }
    // Not an instruction's start there: the fingerprint falls back to a
    // breakpoint of its own.
    RETURN_IF_ERROR(s_.signals_.DisarmFingerprint(*task));
  }
  return mm.breakpoints.Plant(*t, addr);
}

Status ReplayBreakpoints::Unplant(AddressSpace& mm, uint64_t addr) {
  return mm.breakpoints.Unplant(s_.TaskIn(mm), addr);
}

Status ReplayBreakpoints::RemoveBreakpointsFrom(const AddressSpace& mm, Tracee& task) {
  for (const auto& [addr, original] : mm.breakpoints) {
    RETURN_IF_ERROR(task.WriteMemory(addr, original));
  }
  return Status::Ok();
}

Status ReplayBreakpoints::RemoveProbesFrom(const AddressSpace& mm, Tracee& copy) {
  // A copy hitting a probe it has no record of would trap where nobody
  // expects it: a SIGTRAP reported as the program's.
  if (s_.probes_.stub() && &mm == s_.focus_mm_.get()) {
    RETURN_IF_ERROR(s_.probes_.stub()->RemoveFrom(copy));
  }
  for (const auto& t : s_.threads_) {
    if (t->probe && t->mm.get() == &mm) RETURN_IF_ERROR(t->probe->RemoveFrom(copy));
  }
  return Status::Ok();
}

bool ReplayBreakpoints::ForThisProgram(uint64_t addr) const {
  auto it = program_of_.find(addr);
  return it == program_of_.end() || it->second == s_.focus_mm_->exec_path;
}

Status ReplayBreakpoints::InsertBreakpoint(uint64_t addr, const std::string& program) {
  debugger_breakpoints_.insert(addr);
  if (program.empty()) {
    program_of_.erase(addr);
  } else {
    program_of_[addr] = program;
  }
  Status planted = breakpoints_suspended_ || !ForThisProgram(addr)
                       ? Status(ErrorCode::kInvalidInput, "not planted now")
                       : Plant(*s_.focus_mm_, addr);
  if (!planted.ok()) {
    // Not mapped (yet): gdb keeps breakpoints in libraries inserted even
    // at points of the past before the library was loaded. Or another
    // program's, planted when an exec brings it.
    deferred_breakpoints_.insert(addr);
  }
  return Status::Ok();
}

Status ReplayBreakpoints::RemoveBreakpoint(uint64_t addr) {
  debugger_breakpoints_.erase(addr);
  deferred_breakpoints_.erase(addr);
  program_of_.erase(addr);
  for (const auto& t : s_.threads_) {
    if (t->mm == s_.focus_mm_ && t->fingerprint_breakpoint == addr) return Status::Ok();
  }
  return Unplant(*s_.focus_mm_, addr);
}

Status ReplayBreakpoints::RefreshBreakpoints() {
  // A mapping replaced or removed the memory under some breakpoints (ld.so
  // maps a library's text over its first, read-only mapping): plant again
  // where there is memory, defer the rest.
  RETURN_IF_ERROR(cur().mm->breakpoints.Refresh(tracee(), [this](uint64_t addr) {
    if (IsDebuggerBreakpoint(cur(), addr)) deferred_breakpoints_.insert(addr);
  }));
  return InFocus(cur()) ? PlantDeferred() : Status::Ok();
}

Status ReplayBreakpoints::SuspendDebuggerBreakpoints() {
  if (!InFocus(cur())) return Status::Ok();
  breakpoints_suspended_ = true;
  for (uint64_t addr : debugger_breakpoints_) {
    bool fingerprint = false;
    for (const auto& t : s_.threads_) {
      fingerprint |= t->mm == s_.focus_mm_ && t->fingerprint_breakpoint == addr;
    }
    if (fingerprint || !s_.focus_mm_->breakpoints.Contains(addr)) continue;
    RETURN_IF_ERROR(Unplant(*s_.focus_mm_, addr));
    deferred_breakpoints_.insert(addr);
  }
  return Status::Ok();
}

Status ReplayBreakpoints::ResumeDebuggerBreakpoints() {
  if (!breakpoints_suspended_ || !InFocus(cur())) return Status::Ok();
  breakpoints_suspended_ = false;
  return PlantDeferred();
}

Status ReplayBreakpoints::MoveToNewImage() {
  deferred_breakpoints_ = debugger_breakpoints_;
  breakpoints_suspended_ = false;
  return PlantDeferred();
}

Status ReplayBreakpoints::PlantDeferred() {
  if (breakpoints_suspended_) return Status::Ok();
  for (auto it = deferred_breakpoints_.begin(); it != deferred_breakpoints_.end();) {
    if (ForThisProgram(*it) && Plant(*s_.focus_mm_, *it).ok()) {
      it = deferred_breakpoints_.erase(it);
    } else {
      ++it;
    }
  }
  return Status::Ok();
}

Expected<std::optional<ReplayStop>> ReplayBreakpoints::StepOverBreakpoint() {
  using Stop = std::optional<ReplayStop>;
  // Continue asks before every event: answer without a ptrace call when no
  // breakpoint was reported.
  if (!s_.cur_ || s_.at_end_ || !cur().reported_breakpoint) return Stop();
  ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
  uint64_t pc = arch().Pc(regs);
  if (cur().reported_breakpoint != pc || !cur().mm->breakpoints.Contains(pc)) return Stop();
  // Only this thread may step now: with another thread's event next, the
  // step would move that one instead.
  ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
  if (ev && ev->tid != cur().tid) return Stop();
  ASSIGN_OR_RETURN(ReplayStop stop, s_.Step());
  // Only a plain step is swallowed; a signal, exit or end is what Continue
  // would have reported anyway.
  if (stop.kind == ReplayStop::Kind::kStep) return Stop();
  return Stop(stop);
}

Expected<std::vector<uint8_t>> ReplayBreakpoints::ReadMemory(RemoteAddr at, size_t len) const {
  const uint64_t addr = at.value();
  Tracee* t = s_.TaskIn(*s_.focus_mm_);
  if (!t) return Status(ErrorCode::kInvalidInput, "the debugged process has no thread now");
  std::vector<uint8_t> bytes(len);
  ASSIGN_OR_RETURN(size_t n, t->ReadMemoryPartial(addr, bytes));
  if (n == 0 && len > 0) {
    return Status(ErrorCode::kInvalidInput, "cannot access memory at address " + Hex(addr));
  }
  bytes.resize(n);
  s_.focus_mm_->patcher.Unpatch(addr, bytes);
  for (const auto& task : s_.threads_) {
    if (task->probe && task->mm == s_.focus_mm_) task->probe->Unpatch(addr, bytes);
  }
  if (s_.probes_.stub()) s_.probes_.stub()->Unpatch(addr, bytes);
  s_.focus_mm_->breakpoints.Hide(addr, bytes);
  return bytes;
}

}  // namespace rwd::replayer
