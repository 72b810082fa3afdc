#include "core/remote_syscall.h"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

namespace rwd {

namespace {

constexpr uint64_t kAllSignals = ~uint64_t{0};

// Resumes with PTRACE_SYSCALL until the next syscall stop of kind `op`.
// A syscall the thread was already stopped in may report its exit first;
// that stop is passed over.
Expected<SyscallStopInfo> RunToSyscallStop(Tracee& tracee, SyscallStopInfo::Op op) {
  for (int attempts = 0; attempts < 4; ++attempts) {
    RETURN_IF_ERROR(tracee.Resume(ResumeMode::kSyscall));
    ASSIGN_OR_RETURN(WaitStatus ws, tracee.Wait());
    if (ws.kind == WaitStatus::Kind::kPtraceEvent) {
      --attempts;  // a fork/clone event between entry and exit
      continue;
    }
    if (ws.kind == WaitStatus::Kind::kSignalStop && ws.signo == SIGSTOP) {
      // The replayer's interrupt (a debugger's Ctrl-C) raced with this
      // injection; dropping it costs the user one more Ctrl-C.
      --attempts;
      continue;
    }
    if (ws.kind != WaitStatus::Kind::kSyscallStop) {
      return Error("injected syscall interrupted by " + ws.ToString());
    }
    ASSIGN_OR_RETURN(SyscallStopInfo info, tracee.GetSyscallInfo());
    if (info.op == op) return info;
  }
  return Error("injected syscall never reached its stop");
}

// The injected syscall itself, from a state already saved by the caller.
Expected<int64_t> RunInjected(Tracee& tracee, const arch::Registers& saved, uint64_t insn_addr,
                              int64_t nr, const SyscallArgs& args) {
  arch::Registers regs = saved;
  tracee.arch().SetupSyscall(regs, insn_addr, nr, std::span<const uint64_t, 6>(args.v));
  RETURN_IF_ERROR(tracee.SetRegisters(regs));
  ASSIGN_OR_RETURN(SyscallStopInfo entry, RunToSyscallStop(tracee, SyscallStopInfo::Op::kEntry));
  if (entry.nr != nr) {
    return Error("injected syscall " + std::to_string(nr) + " arrived as " +
                 std::to_string(entry.nr));
  }
  ASSIGN_OR_RETURN(SyscallStopInfo exit, RunToSyscallStop(tracee, SyscallStopInfo::Op::kExit));
  return exit.result;
}

}  // namespace

Expected<int64_t> InjectSyscall(Tracee& tracee, uint64_t insn_addr, int64_t nr,
                                const SyscallArgs& args) {
  ASSIGN_OR_RETURN(arch::Registers saved, tracee.GetRegisters());
  ASSIGN_OR_RETURN(uint64_t mask, tracee.GetSignalMask());
  // Every signal blocked while our syscall runs: one that arrives meanwhile
  // (a child's SIGCHLD, a timer) stays pending for the program exactly as if
  // we had not been here, instead of stopping the injection half way.
  RETURN_IF_ERROR(tracee.SetSignalMask(kAllSignals));
  Expected<int64_t> result = RunInjected(tracee, saved, insn_addr, nr, args);
  // Put everything back however the injection ended: a thread left with our
  // registers would run our syscall as its own when resumed.
  Status registers = tracee.SetRegisters(saved);
  Status signal_mask = tracee.SetSignalMask(mask);
  if (!result.ok()) return result.status();
  RETURN_IF_ERROR(registers);
  RETURN_IF_ERROR(signal_mask);
  return result;
}

Expected<int64_t> InjectExec(Tracee& tracee, uint64_t insn_addr, int64_t nr,
                             const SyscallArgs& args) {
  ASSIGN_OR_RETURN(arch::Registers saved, tracee.GetRegisters());
  ASSIGN_OR_RETURN(uint64_t mask, tracee.GetSignalMask());
  RETURN_IF_ERROR(tracee.SetSignalMask(kAllSignals));
  Expected<int64_t> result = RunInjected(tracee, saved, insn_addr, nr, args);
  // The mask survives an exec; the old registers only a failed one.
  Status registers = result.ok() && *result == 0 ? Status::Ok() : tracee.SetRegisters(saved);
  Status signal_mask = tracee.SetSignalMask(mask);
  if (!result.ok()) return result.status();
  RETURN_IF_ERROR(registers);
  RETURN_IF_ERROR(signal_mask);
  return result;
}

Expected<uint64_t> PushScratch(Tracee& tracee, std::span<const uint8_t> bytes,
                               uint64_t offset_below_sp) {
  ASSIGN_OR_RETURN(arch::Registers regs, tracee.GetRegisters());
  uint64_t addr = (tracee.arch().Sp(regs) - offset_below_sp - bytes.size()) & ~uint64_t{15};
  RETURN_IF_ERROR(tracee.WriteMemory(addr, bytes));
  return addr;
}

Expected<uint64_t> PushScratchString(Tracee& tracee, const std::string& s) {
  std::vector<uint8_t> bytes(s.begin(), s.end());
  bytes.push_back(0);
  return PushScratch(tracee, bytes);
}

}  // namespace rwd

namespace rwd {

namespace {

// The copy starts inside the injected clone, with the signal mask of the
// injection; gives it the state the original had before. Words a syscall
// stop of the original misreports are right in the copy, which is not in
// one (the clone left them as they were).
Status GiveState(Tracee& copy, const arch::Arch& arch, arch::Registers regs, uint64_t mask) {
  ASSIGN_OR_RETURN(arch::Registers live, copy.GetRegisters());
  for (uint8_t word : arch.SyscallStopClobberedWords()) regs.SetWord(word, live.Word(word));
  RETURN_IF_ERROR(copy.SetRegisters(regs));
  return copy.SetSignalMask(mask);
}

}  // namespace

Expected<pid_t> ForkTracee(Tracee& tracee, uint64_t insn_addr, CopyParent parent) {
  const arch::SyscallInfo* clone = tracee.arch().syscalls().FindByName("clone");
  if (!clone) return Error("this architecture's syscall table has no clone");
  ASSIGN_OR_RETURN(arch::Registers regs, tracee.GetRegisters());
  ASSIGN_OR_RETURN(uint64_t mask, tracee.GetSignalMask());
  // No exit signal: the copy must never send SIGCHLD to the replayed
  // program, which did not get one when it was recorded. CLONE_PARENT: the
  // copy is a child of the tracee's parent (us, for the process we spawned
  // and its copies), so our reap is the last word; a child of the stopped
  // tracee would stay a zombie until that tracee died.
  SyscallArgs args;
  args.v[0] = parent == CopyParent::kTraceesParent ? CLONE_PARENT : 0;
  ASSIGN_OR_RETURN(int64_t child, InjectSyscall(tracee, insn_addr, clone->nr, args));
  if (child <= 0) return SystemError("injecting clone for a checkpoint", static_cast<int>(-child));
  pid_t pid = static_cast<pid_t>(child);
  Tracee copy(pid, tracee.arch());
  ASSIGN_OR_RETURN(WaitStatus ws, copy.Wait());
  if (ws.is_exit()) return Error("the checkpoint copy died at birth: " + ws.ToString());
  Status given = GiveState(copy, tracee.arch(), regs, mask);
  if (!given.ok()) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, __WALL);
    return given.Wrap("setting up a checkpoint copy");
  }
  return pid;
}

}  // namespace rwd
