#include "replayer/diversion.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>

#include "core/wakeup_timer.h"
#include "replayer/syscall_catch.h"

namespace rwd::replayer {

namespace {

// Syscalls a called function may make for real: those a replay runs for
// real too (they change only the process's own memory map, signal state or
// thread bookkeeping, or end it), except the ones that make processes or
// programs the copy could not follow.
bool RunsForReal(const arch::SyscallInfo* row) {
  return row && row->action == arch::ReplayAction::kExecute &&
         row->special != arch::Special::kClone && row->special != arch::Special::kExecve;
}

}  // namespace

Expected<std::unique_ptr<Diversion>> Diversion::Start(ReplaySession& live,
                                                      std::span<const uint64_t> breakpoints) {
  Expected<std::unique_ptr<ReplaySession>> copy = live.Fork();
  if (!copy.ok()) {
    return Status(ErrorCode::kUnsupported,
                  "cannot change registers or memory here, nor call functions: " +
                      copy.status().message());
  }
  std::unique_ptr<Diversion> d(new Diversion(std::move(*copy)));
  // The syscall buffer library replays its calls from records the replayer
  // gives it; the copy's calls have none. Told that syscalls are caught, it
  // leaves each one to us as a real syscall, which Run handles.
  d->copy_->set_syscall_catch(SyscallCatch::All());
  for (uint64_t addr : breakpoints) {
    // Not mapped here (a library loaded later): nothing to stop at.
    if (d->copy_->InsertBreakpoint(addr).ok()) d->breakpoints_.insert(addr);
  }
  return d;
}

Expected<Tracee*> Diversion::ThreadOf(RecordedTid tid) const {
  Tracee* t = copy_->FindTracee(tid);
  if (!t) return Status(ErrorCode::kInvalidInput, "no thread " + tid.ToString());
  return t;
}

Expected<arch::Registers> Diversion::GetRegisters(RecordedTid tid) const {
  ASSIGN_OR_RETURN(Tracee * t, ThreadOf(tid));
  return t->GetRegisters();
}

Expected<std::vector<uint8_t>> Diversion::GetFpRegisters(RecordedTid tid) const {
  ASSIGN_OR_RETURN(Tracee * t, ThreadOf(tid));
  return t->GetFpRegisters();
}

Status Diversion::SetRegisters(RecordedTid tid, const arch::Registers& regs) {
  ASSIGN_OR_RETURN(Tracee * t, ThreadOf(tid));
  if (!replay_registers_.count(tid)) {
    ASSIGN_OR_RETURN(arch::Registers before, t->GetRegisters());
    replay_registers_[tid] = before;
  }
  return t->SetRegisters(regs);
}

Status Diversion::SetFpRegisters(RecordedTid tid, std::span<const uint8_t> bytes) {
  ASSIGN_OR_RETURN(Tracee * t, ThreadOf(tid));
  return t->SetFpRegisters(bytes);
}

Expected<std::vector<uint8_t>> Diversion::ReadMemory(uint64_t addr, size_t len) const {
  return copy_->ReadMemory(RemoteAddr(addr), len);
}

Status Diversion::WriteMemory(uint64_t addr, std::span<const uint8_t> bytes) {
  ASSIGN_OR_RETURN(Tracee * t, ThreadOf(copy_->current_tid()));
  // A breakpoint in the range keeps the byte written as what it hides.
  std::vector<uint64_t> covered;
  for (uint64_t bp : breakpoints_) {
    if (bp >= addr && bp - addr < bytes.size()) covered.push_back(bp);
  }
  for (uint64_t bp : covered) RETURN_IF_ERROR(copy_->RemoveBreakpoint(bp));
  RETURN_IF_ERROR(t->WriteMemory(addr, bytes));
  for (uint64_t bp : covered) RETURN_IF_ERROR(copy_->InsertBreakpoint(bp));
  memory_written_since_run_ = true;
  return Status::Ok();
}

Status Diversion::InsertBreakpoint(uint64_t addr) {
  RETURN_IF_ERROR(copy_->InsertBreakpoint(addr));
  breakpoints_.insert(addr);
  return Status::Ok();
}

Status Diversion::RemoveBreakpoint(uint64_t addr) {
  if (!breakpoints_.erase(addr)) return Status::Ok();
  return copy_->RemoveBreakpoint(addr);
}

bool Diversion::Restored() const {
  const arch::Arch& arch = copy_->arch();
  for (const auto& [tid, replay] : replay_registers_) {
    Expected<arch::Registers> now = GetRegisters(tid);
    if (!now.ok() || !arch.SameProgramState(*now, replay)) return false;
  }
  return true;
}

ReplayStop Diversion::MakeStop(ReplayStop::Kind kind, RecordedTid tid) const {
  ReplayStop stop;
  stop.kind = kind;
  stop.tid = tid.value();
  return stop;
}

Expected<ReplayStop> Diversion::Run(RecordedTid tid, bool step, int signo,
                                    const std::function<bool()>& interrupted) {
  ASSIGN_OR_RETURN(Tracee * t, ThreadOf(tid));
  const arch::Arch& arch = copy_->arch();
  ran_ = true;
  memory_written_since_run_ = false;
  // A single step runs a syscall instruction without a syscall stop: step
  // over one by running to its exit stop instead, so that it goes through
  // HandleSyscall like any other.
  if (step) {
    ASSIGN_OR_RETURN(arch::Registers regs, t->GetRegisters());
    std::span<const uint8_t> insn = arch.SyscallInsn();
    Expected<std::vector<uint8_t>> code = t->ReadBytes(arch.Pc(regs), insn.size());
    step = !(code.ok() && std::equal(code->begin(), code->end(), insn.begin(), insn.end()));
    if (!step) {
      RETURN_IF_ERROR(t->Resume(ResumeMode::kSyscall, signo));
      ASSIGN_OR_RETURN(WaitStatus ws, t->Wait());
      if (ws.kind == WaitStatus::Kind::kSyscallStop) {
        ASSIGN_OR_RETURN(std::optional<WaitStatus> ended, HandleSyscall(*t));
        if (ended) return ExitStop(*ended, tid);
        return MakeStop(ReplayStop::Kind::kStep, tid);
      }
      return StopFor(ws, *t, tid, /*step=*/true, false);
    }
  }
  bool interrupt_sent = false;
  while (true) {
    RETURN_IF_ERROR(t->Resume(step ? ResumeMode::kSingleStep : ResumeMode::kSyscall, signo));
    signo = 0;
    ScopedWakeupTimer timer(std::chrono::milliseconds(100));
    ASSIGN_OR_RETURN(WaitStatus ws, t->Wait([&] {
      if (interrupt_sent || !interrupted || !interrupted()) return;
      // SIGSTOP cannot be blocked or handled: the stop is ours.
      if (syscall(SYS_tkill, t->tid(), SIGSTOP) == 0) interrupt_sent = true;
    }));
    if (ws.kind == WaitStatus::Kind::kSyscallStop) {
      ASSIGN_OR_RETURN(std::optional<WaitStatus> ended, HandleSyscall(*t));
      if (ended) return ExitStop(*ended, tid);
      continue;
    }
    if (ws.kind == WaitStatus::Kind::kPtraceEvent || ws.kind == WaitStatus::Kind::kGroupStop) {
      continue;
    }
    return StopFor(ws, *t, tid, step, interrupt_sent);
  }
}

ReplayStop Diversion::ExitStop(const WaitStatus& ws, RecordedTid tid) const {
  ReplayStop stop = MakeStop(ReplayStop::Kind::kExited, tid);
  stop.wait_status = ws.raw;
  return stop;
}

Expected<ReplayStop> Diversion::StopFor(const WaitStatus& ws, Tracee& t, RecordedTid tid,
                                        bool step, bool interrupt_sent) {
  const arch::Arch& arch = copy_->arch();
  if (ws.is_exit()) return ExitStop(ws, tid);
  if (ws.signo == SIGSTOP && interrupt_sent) return MakeStop(ReplayStop::Kind::kInterrupted, tid);
  if (ws.signo != SIGTRAP) {
    ReplayStop stop = MakeStop(ReplayStop::Kind::kSignal, tid);
    stop.signo = ws.signo;
    return stop;
  }
  if (step) return MakeStop(ReplayStop::Kind::kStep, tid);
  ASSIGN_OR_RETURN(arch::Registers regs, t.GetRegisters());
  uint64_t at = arch.Pc(regs) - arch.BreakpointTrapPcOffset();
  if (!breakpoints_.count(at)) {
    ReplayStop stop = MakeStop(ReplayStop::Kind::kSignal, tid);
    stop.signo = SIGTRAP;
    return stop;
  }
  arch.SetPc(regs, at);
  RETURN_IF_ERROR(t.SetRegisters(regs));
  ReplayStop stop = MakeStop(ReplayStop::Kind::kBreakpoint, tid);
  stop.addr = at;
  return stop;
}

Expected<std::optional<WaitStatus>> Diversion::HandleSyscall(Tracee& t) {
  const arch::Arch& arch = copy_->arch();
  ASSIGN_OR_RETURN(arch::Registers regs, t.GetRegisters());
  const int64_t nr = arch.SyscallNumber(regs);
  const arch::SyscallInfo* row = arch.syscalls().Find(nr);
  if (RunsForReal(row)) {
    RETURN_IF_ERROR(t.Resume(ResumeMode::kSyscall));
    ASSIGN_OR_RETURN(WaitStatus exit, t.Wait());
    if (exit.is_exit()) return std::optional<WaitStatus>(exit);
    return std::optional<WaitStatus>();
  }
  int64_t result = -ENOSYS;
  const uint64_t fd = arch.SyscallArg(regs, 0);
  if (row && row->echo == arch::Echo::kBuffer && (fd == 1 || fd == 2)) {
    // Shown, not written: the program's stdout may be gdb's protocol pipe.
    size_t len = static_cast<size_t>(std::min<uint64_t>(arch.SyscallArg(regs, 2), 1u << 20));
    Expected<std::vector<uint8_t>> bytes = t.ReadBytes(arch.SyscallArg(regs, 1), len);
    if (bytes.ok()) {
      fwrite(bytes->data(), 1, bytes->size(), stderr);
      fflush(stderr);
      result = static_cast<int64_t>(bytes->size());
    } else {
      result = -EFAULT;
    }
  }
  // Skip it: the kernel runs no syscall -1, and its result is set below.
  RETURN_IF_ERROR(arch.host().SetSyscallNumberAtEntry(t.tid(), regs, -1));
  RETURN_IF_ERROR(t.Resume(ResumeMode::kSyscall));
  ASSIGN_OR_RETURN(WaitStatus exit, t.Wait());
  if (exit.is_exit()) return std::optional<WaitStatus>(exit);
  ASSIGN_OR_RETURN(arch::Registers after, t.GetRegisters());
  arch.SetSyscallResult(after, result);
  RETURN_IF_ERROR(t.SetRegisters(after));
  return std::optional<WaitStatus>();
}

}  // namespace rwd::replayer
