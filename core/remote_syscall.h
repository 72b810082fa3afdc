// Injected syscalls: make a stopped tracee run one syscall of our choosing
// and put every register and its signal mask back afterwards, also when the
// injection fails (a thread left with our registers would later run our
// syscall as its own). Signals are blocked while the injected syscall runs:
// one that arrives meanwhile stays pending for the program, untouched.
//
// The tracee must be in a syscall stop or a ptrace-event stop (not a
// signal-delivery-stop, whose signal would be lost). `insn_addr` is an
// executable syscall instruction in the tracee (CodePatcher provides one in
// the patched vDSO). Memory arguments go to scratch space below the stack
// pointer, beyond the red zone.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "base/status.h"
#include "core/tracee.h"

namespace rwd {

struct SyscallArgs {
  std::array<uint64_t, 6> v{};
};

Expected<int64_t> InjectSyscall(Tracee& tracee, uint64_t insn_addr, int64_t nr,
                                const SyscallArgs& args);

// An injected execve (syscall `nr`): as InjectSyscall, but when it succeeds
// the thread keeps the registers the new program starts with.
Expected<int64_t> InjectExec(Tracee& tracee, uint64_t insn_addr, int64_t nr,
                             const SyscallArgs& args);

// Copies `bytes` into scratch memory below the stack and returns its address.
// Valid until the tracee runs its own code again.
Expected<uint64_t> PushScratch(Tracee& tracee, std::span<const uint8_t> bytes,
                               uint64_t offset_below_sp = 4096);
Expected<uint64_t> PushScratchString(Tracee& tracee, const std::string& s);

// Copy-on-write copy of the tracee's process (a checkpoint): injects a
// clone without exit signal whose parent is the tracee's parent (so the
// process that spawned the tracee, not the stopped tracee, reaps it), waits
// for the copy's first stop and gives it the original's registers. The copy
// is traced by us (PTRACE_O_TRACECLONE must be set) and stays stopped, with
// the original's signal mask. Returns its pid; on failure no copy is left
// behind.
//
// kTracee makes the copy the tracee's own child instead, still without exit
// signal: a copy of a process whose parent is not ours would inherit, with
// CLONE_PARENT, the tracee's exit signal, and its death would signal that
// parent (the kernel's rule). The tracee must then reap it (wait4 with
// __WALL, injected), or leave it to init when it ends.
enum class CopyParent { kTraceesParent, kTracee };
Expected<pid_t> ForkTracee(Tracee& tracee, uint64_t insn_addr,
                           CopyParent parent = CopyParent::kTraceesParent);

}  // namespace rwd
