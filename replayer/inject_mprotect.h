// Changing a page's protection inside a stopped tracee, for the replayer's
// own purposes (watchpoints by page protection, guarding breakpoints in
// code the program writes), and other syscalls injected at a signal stop.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "core/remote_syscall.h"
#include "core/tracee.h"

namespace rwd::replayer {

// Runs mprotect(start, len, prot) in `tracee` through the syscall
// instruction at `syscall_insn`, leaving its registers as they were.
// `by_step`: the thread sits at a signal stop (a fault, a breakpoint, a
// single-step), where one single-step over the instruction runs the call;
// otherwise it sits at a syscall or ptrace-event stop (InjectSyscall).
// `why` names the purpose in errors.
Status InjectMprotect(Tracee& tracee, uint64_t syscall_insn, uint64_t start, uint64_t len, int prot,
                      bool by_step, const char* why);

// Runs syscall `nr` in `tracee`, which sits at a signal stop, by one
// single-step over the syscall instruction at `syscall_insn`; returns its
// result and leaves the registers as they were.
Expected<int64_t> InjectSyscallByStep(Tracee& tracee, uint64_t syscall_insn, int64_t nr,
                                      const SyscallArgs& args, const char* why);

}  // namespace rwd::replayer
