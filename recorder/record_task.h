// RecordTask: the recorder's view of one traced thread.
//
// Only one thread of the recorded tree runs its own code at a time (as in
// rr); the others sit at ptrace stops or inside syscalls. `state` says which,
// and `unhandled` keeps the stop a thread reached while it was not the one
// being recorded: it is handled when the thread is scheduled again, so the
// trace's events follow the order in which threads ran.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "arch/syscall_table.h"
#include "core/probe_stub.h"
#include "core/tracee.h"
#include "core/wait_status.h"
#include "recorder/file_id.h"
#include "recorder/syscall_outputs.h"
#include "trace/snapshot.h"

namespace rwd::recorder {

struct PendingSyscall {
  const arch::SyscallInfo* info = nullptr;
  int64_t nr = 0;
  std::array<uint64_t, 6> args{};
  EntrySnapshot snapshot;
  std::vector<std::string> exec_argv;
  std::string exec_path;
  // Where the recorder can open the file execve was given, from outside.
  std::string exec_open_path;
  // A SyscallEntryEvent was written: other threads ran before the result.
  bool entry_recorded = false;
  // The event was written already (clone, at its ptrace-event stop); the
  // exit stop only finishes the syscall.
  bool recorded = false;
  // The recorder makes the syscall fail with this errno instead of running it.
  int deny_errno = 0;
  // ... or, when set, return this (the syscall buffer's registration).
  std::optional<int64_t> forced_result;
  // The thread as a snapshot restores it while it waits in this syscall
  // (trace::SnapshotThread::parked), read at its entry stop: the kernel
  // tells a running thread's registers to nobody. Kept only where a
  // snapshot may need it (SnapshotRecorder::KeepEntryState).
  std::optional<trace::SnapshotThread> entry_state;
};

// An asynchronous signal held back until the thread's next syscall, where
// replay can deliver it at the same point (DESIGN: "moved to the next event
// boundary").
struct DeferredSignal {
  int signo = 0;
  std::vector<uint8_t> siginfo;
};

struct RecordTask {
  enum class State {
    kStopped,     // at a ptrace stop, ready to run when scheduled
    kRunning,     // the scheduled thread, running its own code
    kInSyscall,   // the scheduled thread, inside a syscall (entry not recorded)
    kBlocked,     // inside a syscall whose entry was recorded; not scheduled
    kExiting,     // the scheduled thread, in exit or exit_group
    kNew,         // created, its first stop not seen yet
    kJobStopped,  // stopped by SIGSTOP/SIGTSTP/SIGTTIN/SIGTTOU (job control)
                  // until a SIGCONT; not scheduled meanwhile
  };

  RecordTask(Tracee t, pid_t group) : tracee(std::move(t)), tgid(group) {}
  pid_t tid() const { return tracee.tid(); }
  // The tid its events carry: until its exec's event is written, a thread
  // that took the leader's tid in execve is known to replay by its own.
  pid_t event_tid() const { return exec_former_tid ? exec_former_tid : tid(); }

  Tracee tracee;
  pid_t tgid;  // thread group (process) id
  State state = State::kStopped;
  std::optional<WaitStatus> unhandled;
  std::optional<PendingSyscall> pending;
  // The thread stopped at a syscall entry with our SIGSTOP pending was
  // rewound onto the syscall instruction; its next entry is that syscall
  // again, whose SyscallEntryEvent is already written.
  bool reentering = false;

  std::vector<DeferredSignal> deferred;
  std::chrono::steady_clock::time_point defer_deadline;  // CoarseNow()
  // The last signal held back found no syscall in time and was placed by
  // fingerprint: the thread computes, and the next one is placed at once
  // instead of after the usual patience (a 1 ms timer must not wait 20 ms).
  bool computing = false;
  // Its last walk to a probe site found a loop whose registers and stack
  // never change: it spins, waiting for another thread. Such a thread gets
  // short time slices until its next syscall, so a hand-off through memory
  // costs well under a millisecond, not a whole slice.
  bool spinning = false;
  // Where that walk ended (a probe site inside the spin loop). While the
  // thread runs with a breakpoint there (recorder/spin_trap.h): the bytes it
  // covers and the passes seen since.
  uint64_t spin_site = 0;
  struct SpinWatch {
    std::vector<uint8_t> original;
    std::vector<arch::Registers> passes;
    std::vector<uint8_t> last_stack;  // FingerprintStackWindow at the last pass
    int repeats = 0;                  // passes in a row like the one before
  };
  std::optional<SpinWatch> spin_watch;
  // Counts the thread's arrivals at the site of its last signal placed
  // inside a loop, from its last event on (recorder/pass_counter.h).
  // Patched in only while the thread runs its own code.
  std::optional<ProbeStub> pass_probe;
  uint64_t pass_probe_base = 0;  // its countdown at the thread's last event
  // Where the probe goes at the thread's next rt_sigreturn (0: nowhere).
  uint64_t pass_site = 0;
  // Armed to stop at the next arrival: the arrivals before it.
  std::optional<uint64_t> pass_probe_stop;
  std::optional<DeferredSignal> reinjected;  // delivered at this syscall
  // We sent SIGSTOP to place a deferred signal or to preempt the thread.
  bool stop_sent = false;
  bool preempt_wanted = false;
  // Registers right after the thread's last event; a stop while they are
  // unchanged is at that event boundary (e.g. raise()).
  std::optional<arch::Registers> boundary_regs;
  // The rest of the fingerprint (trace::PreemptEvent's stack hash and
  // vector registers) when that event was a preemption: a loop whose state lives in
  // memory or vector registers comes back to the same general registers
  // after any number of passes, so they alone would take those passes for a
  // thread that has not moved.
  struct BoundaryMemory {
    uint64_t stack_hash = 0;
    bool hashes_globals = false;
    std::vector<uint8_t> vector_registers;
  };
  std::optional<BoundaryMemory> boundary_memory;
  std::chrono::steady_clock::time_point slice_start;    // RecordScheduler::SliceNow()
  std::chrono::steady_clock::time_point syscall_start;  // MonotonicNow()
  // The thread group leader ended with SYS_exit while other threads go on:
  // the kernel keeps it as a zombie until they end. Never scheduled again.
  bool zombie = false;
  // A vfork child (CLONE_VFORK) that shares this thread's memory until it
  // execs or ends. This thread is not scheduled before: the kernel holds it
  // in its clone until then anyway, and replay, which runs no vfork wait,
  // must see the child's exec first (the parent unmaps the child's stack
  // right after).
  pid_t vfork_child = 0;
  // Its syscall buffer (preload/syscallbuf_abi.h), 0 for none; and whether
  // it ran its own code since the buffer was last emptied.
  uint64_t syscallbuf = 0;
  bool syscallbuf_dirty = false;
  // Its buffer's boundary_wanted is set: a snapshot is due, and its next
  // call stops (SnapshotRecorder::AskForBoundary).
  bool boundary_asked = false;
  // Threads cloned with this one's memory and thread pointer (no
  // CLONE_SETTLS) still alive: its buffer stays locked while there are any.
  // In such a child: the thread whose buffer it shares, else 0.
  int buffer_sharers = 0;
  pid_t shares_buffer_of = 0;
  // It called execve from a thread other than the leader, whose tid it has
  // now; its tid before, for the events up to the exec's (event_tid()).
  pid_t exec_former_tid = 0;
  bool fresh = false;          // a new thread whose initial SIGSTOP is due
  bool exit_recorded = false;  // its ExitEvent was written at the exit's entry
  // Kept for snapshots (recorder/snapshot_taker.h), which recreate the thread:
  // where the kernel clears its tid when it ends (CLONE_CHILD_CLEARTID,
  // set_tid_address), and the name it gave itself (PR_SET_NAME).
  uint64_t clear_child_tid = 0;
  std::string name;
  // Its alternate signal stack as sigaltstack last set it (the kernel's
  // stack_t; empty for none). The kernel tells it only to the thread
  // itself, and a thread waiting in a syscall cannot be asked.
  std::vector<uint8_t> altstack;
  // rewind_checkpoint(name) (include/rewind/checkpoint.h) was called: a
  // snapshot so named is wanted at its syscall's exit.
  std::optional<std::string> checkpoint_name;
};

}  // namespace rwd::recorder
