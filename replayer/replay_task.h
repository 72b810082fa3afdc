// The replayer's threads and address spaces.
//
// A ReplayTask is one live thread standing in for a recorded one (events
// name recorded tids; the kernel gave the live thread another). Threads of a
// process, and a vfork child until its exec, share one AddressSpace: code
// patches, planted breakpoints and the files mapped there.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/thread_id.h"
#include "core/code_patcher.h"
#include "core/fork_advice.h"
#include "core/probe_stub.h"
#include "core/tracee.h"
#include "replayer/breakpoint_table.h"
#include "replayer/code_page_guard.h"
#include "replayer/library_code.h"

namespace rwd::replayer {

struct AddressSpace {
  CodePatcher patcher;
  // Every planted breakpoint instruction.
  BreakpointTable breakpoints;
  // The pages of those the program may write, made read-only meanwhile.
  CodePageGuard code_guard;
  std::string exec_path;
  // Trace copy of each file mapped here (path as the program saw it -> copy).
  std::map<std::string, std::string> mapped_files;
  // Pages of the in-process probes that find fingerprints in hot loops.
  ProbePages probe_pages;
  // The syscall buffer library's code, known once it has patched libc.
  LibraryCode library_code;
  // Memory the program keeps from its forks, which replay's own forks keep.
  ForkAdvice fork_advice;
};

struct ReplayTask {
  ReplayTask(Tracee t, pid_t recorded, pid_t recorded_group, std::shared_ptr<AddressSpace> space)
      : tracee(std::move(t)), tid(recorded), tgid(recorded_group), mm(std::move(space)) {}

  // Where the recorded and the live thread id meet.
  RecordedTid recorded_tid() const { return RecordedTid(tid); }
  LiveTid live_tid() const { return LiveTid(tracee.tid()); }

  Tracee tracee;
  pid_t tid;   // recorded thread id (recorded_tid())
  pid_t tgid;  // recorded process id
  std::shared_ptr<AddressSpace> mm;
  // Parked at a syscall-entry stop by a SyscallEntryEvent: its SyscallEvent
  // finishes that syscall without running the thread.
  bool at_syscall_entry = false;
  // Stopped at the entry of a caught syscall (ReplayStop::kSyscallEntry),
  // which its next resume replays instead of running the thread.
  bool caught_entry = false;
  // Its last syscall stop replayed a buffered call (ReplayExpandedBuffered-
  // Syscall), and the stop reported is that call's return.
  bool expanded_call = false;
  bool buffered_return = false;
  // Where a fingerprinted signal or preemption (trace::SignalEvent,
  // trace::PreemptEvent) waits for the thread, while armed.
  std::optional<uint64_t> fingerprint_breakpoint;
  // It was planted where no probe may be for now (a single-step; a probe
  // that gave way to a debugger's stop in its trampoline): the next resume
  // that continues looks for the point with a probe instead.
  bool fingerprint_breakpoint_for_step = false;
  // The same, found by an in-process probe instead of a breakpoint: a trap
  // per pass would take seconds in a hot loop.
  std::optional<ProbeStub> probe;
  // That probe counts down the arrivals a signal's pass_count names, armed
  // before the thread ran past its previous event (trace::SignalEvent).
  bool probe_counts_passes = false;
  // event_number() at the thread's last resume: it has run since its last
  // event when that is the next event still.
  uint64_t resumed_before_event = ~uint64_t{0};
  uint64_t fingerprint_misses = 0;
  // The pages (indices into the event's memory_pages) whose hash differed
  // at the last memory check for the event `memory_check_event`
  // (SignalReplayer::SameWritableMemory).
  uint64_t memory_check_event = ~uint64_t{0};
  std::vector<size_t> differing_pages;
  // The stack window at the probe's last miss (ReplaySession::NarrowProbe).
  std::vector<uint8_t> last_miss_window;
  int pending_signal = 0;      // recorded signal to deliver at the next resume
  bool pending_async = false;  // it was not a fault the CPU raised
  bool signal_queued = false;  // a recorded signal was sent, not yet delivered
  // The last stop reported was a breakpoint hit here: resuming must step
  // over it. A fresh arrival at a breakpoint address (e.g. from a
  // checkpoint) traps again, so hit counts do not depend on where execution
  // started.
  std::optional<uint64_t> reported_breakpoint;
  uint64_t step_from_pc = 0;  // pc a single-step started from
  // A leader that ended with SYS_exit while other threads go on; the kernel
  // keeps it until they end. Never run again.
  bool zombie = false;
  // Its death was collected (the process is ending); never waited for again.
  bool reaped = false;
  // Where the kernel clears the tid and wakes joiners when the thread ends
  // (CLONE_CHILD_CLEARTID, set_tid_address); a checkpoint's copy needs it.
  uint64_t clear_child_tid = 0;
  // The name the program gave the thread (prctl PR_SET_NAME); the kernel's
  // copy does not survive a checkpoint's recreation of the thread.
  std::string name;
  // Its syscall buffer (preload/syscallbuf_abi.h), 0 for none, and the
  // number of the SyscallBatchEvent last handed to it.
  uint64_t syscallbuf = 0;
  uint64_t batch_event = 0;
};

}  // namespace rwd::replayer
