// Copy-on-write checkpoints of a multithreaded tracee.
//
// ForkTracee (core/remote_syscall.h) copies a process with only the thread
// that ran the injected clone. ForkProcessWithThreads builds on it: in the
// copy it injects one clone(CLONE_THREAD) per other thread of the original
// and gives each new thread the state of its original: registers (NT_PRSTATUS,
// which on x86-64 includes fs_base, so TLS comes along), the FP/vector state,
// the Arch's ThreadRegsets() (AArch64: the TLS register), the signal mask and
// the clear_child_tid address that lets pthread_join see the thread exit.
//
// Preconditions: every thread of the original is stopped under ptrace by the
// calling thread, and the tracees have PTRACE_O_TRACECLONE (the copy's
// threads are auto-attached) and PTRACE_O_TRACESYSGOOD (the injections wait
// for syscall stops). `leader` must be in a syscall stop or a ptrace-event
// or signal-delivery stop whose signal may be dropped (see InjectSyscall):
// it runs the injected fork and is left in the exit stop of that clone, with
// its registers restored, exactly as ForkTracee leaves it. The threads in
// `others` are only read, never run.
//
// Result: every thread of the copy sits in a signal-delivery-stop for
// SIGSTOP (never in a syscall stop; new threads of seized tracees sit in
// their PTRACE_EVENT_STOP instead), so the registers read there are the
// program's own, and resuming a thread with signal 0 continues it exactly
// where its original was. A thread whose original was in a syscall stop is
// NOT inside that syscall in the copy: its registers are copied as read
// (on AArch64 including the x7 such a stop misreports), so the caller that
// wants the syscall to run rewinds them first (at an entry stop,
// RewindToSyscallInsn on the copy) and fixes what the stop misreports.
// Threads stopped inside syscalls we injected ourselves are the caller's
// business too.
//
// Not carried over (the kernel keeps them per thread and clone resets or
// shares them): the alternate signal stack, the robust futex list (fork
// drops it for the leader as well), rseq registration, debug registers,
// pending thread-directed signals, and the restart block of a sleep that a
// signal interrupted just before the stop (a new thread restarting it gets
// the leader's). New threads also get new tids: memory holding the old ones
// (glibc's pthread tid field) still holds them, which replay, emulating
// gettid and tgkill from the trace, expects.
//
// Ownership: the copy is a new process traced by the caller, who must kill
// it and reap every returned tid (a traced thread's zombie blocks the
// leader's reap). On failure the partial copy is killed and reaped here.
// Not thread-safe: ptrace requests must come from the tracing thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "core/tracee.h"

namespace rwd {

// One thread of the original process, stopped.
struct ThreadState {
  Tracee* tracee = nullptr;  // the live original thread
  // The address the kernel clears and futex-wakes when the thread exits
  // (CLONE_CHILD_CLEARTID / set_tid_address); 0 if none.
  uint64_t clear_child_tid = 0;
};

// Makes thread `in` (stopped as `leader` above) clone a new thread of its
// process (CLONE_THREAD, and CLONE_CHILD_CLEARTID at `clear_child_tid`
// unless 0) through the syscall instruction at `insn_addr`. Returns the new
// tid, traced by us and stopped at its attach stop (as the copy's threads
// above), where syscalls can be injected into it. Its registers are a
// placeholder until the caller sets them: it runs nothing before.
Expected<pid_t> CloneBareThread(Tracee& in, uint64_t clear_child_tid, uint64_t insn_addr);

// Forks `leader`'s process copy-on-write (injecting a clone at the syscall
// instruction `insn_addr`) and recreates one thread per `others` entry.
// Returns the new tids: [0] the copy of `leader`, then one per entry of
// `others`, in order. All are left stopped (SIGSTOP signal-delivery-stops)
// and traced by us.
Expected<std::vector<pid_t>> ForkProcessWithThreads(Tracee& leader,
                                                    uint64_t clear_child_tid_of_leader,
                                                    std::span<const ThreadState> others,
                                                    uint64_t insn_addr);

}  // namespace rwd
