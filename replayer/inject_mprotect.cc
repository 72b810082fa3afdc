#include "replayer/inject_mprotect.h"

#include <signal.h>

#include <string>

#include "base/hex.h"
#include "core/remote_syscall.h"

namespace rwd::replayer {

Expected<int64_t> InjectSyscallByStep(Tracee& tracee, uint64_t syscall_insn, int64_t nr,
                                      const SyscallArgs& args, const char* why) {
  const arch::Arch& a = tracee.arch();
  ASSIGN_OR_RETURN(arch::Registers saved, tracee.GetRegisters());
  arch::Registers regs = saved;
  a.SetupSyscall(regs, syscall_insn, nr, std::span<const uint64_t, 6>(args.v));
  RETURN_IF_ERROR(tracee.SetRegisters(regs));
  // From a syscall stop the kernel may report the step at that syscall's
  // exit, before the injected instruction ran: step once more then.
  for (int steps = 0;; ++steps) {
    RETURN_IF_ERROR(tracee.Resume(ResumeMode::kSingleStep));
    ASSIGN_OR_RETURN(WaitStatus ws, tracee.Wait());
    if (ws.kind != WaitStatus::Kind::kSignalStop || ws.signo != SIGTRAP) {
      return Error(std::string("an injected syscall for ") + why + " ended in " + ws.ToString());
    }
    ASSIGN_OR_RETURN(regs, tracee.GetRegisters());
    if (a.Pc(regs) == syscall_insn + a.SyscallInsn().size()) break;
    if (a.Pc(regs) != syscall_insn || steps > 0) {
      return Error(std::string("an injected syscall for ") + why + " stopped at " +
                   Hex(a.Pc(regs)));
    }
  }
  RETURN_IF_ERROR(tracee.SetRegisters(saved));
  return a.SyscallResult(regs);
}

Status InjectMprotect(Tracee& tracee, uint64_t syscall_insn, uint64_t start, uint64_t len, int prot,
                      bool by_step, const char* why) {
  const arch::Arch& a = tracee.arch();
  const arch::SyscallInfo* mprotect = a.syscalls().FindByName("mprotect");
  if (!mprotect) return Error("this architecture's syscall table has no mprotect");
  SyscallArgs args;
  args.v = {start, len, static_cast<uint64_t>(prot), 0, 0, 0};
  int64_t r = 0;
  if (by_step) {
    ASSIGN_OR_RETURN(r, InjectSyscallByStep(tracee, syscall_insn, mprotect->nr, args, why));
  } else {
    ASSIGN_OR_RETURN(r, InjectSyscall(tracee, syscall_insn, mprotect->nr, args));
  }
  if (r != 0) {
    return SystemError("changing the protection of page " + Hex(start) + " for " + why,
                       static_cast<int>(-r));
  }
  return Status::Ok();
}

}  // namespace rwd::replayer
