// ReplaySession: re-executes a trace deterministically in fresh processes.
//
// Replayed threads run under PTRACE_SYSEMU, one at a time: the owner of the
// next event runs until it reaches that event, the others stay stopped, so
// they interleave exactly as recorded. At each syscall the event is checked
// (number and arguments) and then either emulated (recorded memory and
// result written; nothing runs in the kernel) or, for address-space,
// signal-state, process-tree, exec and exit syscalls, executed for real and
// its result checked. Trapped instructions, signals and preemptions are
// matched and reproduced the same way. Any mismatch is a kDivergence error
// naming the event number, what was expected and what was seen.
//
// The debugger sees one process of the tree (the "focus", the first by
// default): its threads, breakpoints and stops. The others run along.
// Forward execution only; checkpoints and reverse execution build on it.
// The session owns the replayed processes (killed on destruction).
//
// The session schedules: it makes the owner of the next event current
// (EventCursor), runs it and hands the stop to the part it concerns. Each
// part is a class of its own (replay_part.h) with its own state:
//   ThreadTable            the live threads by recorded tid (thread_table.h)
//   SyscallCatcher         caught syscalls, parked syscall entries
//   ReplayWatchpoints      watchpoints; wraps every syscall stop
//   SyscallReplayer        syscall events: emulated or executed
//   ProcessLifecycle       clone, exec, exits and reaping
//   SyscallBufferReplayer  batches of the in-process syscall buffer
//   SignalReplayer         signals and preemptions placed by fingerprint
//   PositionProbes         probes that find a point inside a loop
//   ReplayBreakpoints      the debugger's breakpoints, memory reads
// Fork (a checkpoint) and OpenAtSnapshot (replay_snapshot.cc) make sessions
// at a point other than the start.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "base/remote_addr.h"
#include "base/status.h"
#include "base/thread_id.h"
#include "core/code_patcher.h"
#include "core/process.h"
#include "core/tracee.h"
#include "replayer/event_cursor.h"
#include "replayer/exec_staging.h"
#include "replayer/position.h"
#include "replayer/position_probes.h"
#include "replayer/process_lifecycle.h"
#include "replayer/replay_breakpoints.h"
#include "replayer/replay_code_guard.h"
#include "replayer/replay_part.h"
#include "replayer/replay_stop.h"
#include "replayer/replay_task.h"
#include "replayer/replay_watchpoints.h"
#include "replayer/shared_file_copies.h"
#include "replayer/signal_replayer.h"
#include "replayer/syscall_catch.h"
#include "replayer/syscall_catcher.h"
#include "replayer/syscall_replayer.h"
#include "replayer/syscallbuf_replayer.h"
#include "replayer/thread_table.h"
#include "trace/file_cache.h"
#include "trace/snapshot_store.h"
#include "trace/trace_reader.h"

namespace rwd::replayer {

struct ReplayOptions {
  std::string trace_dir;
  // Reproduce the program's writes to stdout/stderr on ours (as rr does).
  bool echo_output = true;
  // Where the program's stdout is reproduced; stderr when stdout carries
  // the gdb protocol (--stdio).
  int stdout_fd = 1;
  // Recorded pid of the process the debugger sees; 0 for the first.
  pid_t focus_pid = 0;
  // The focus process does not exit: it stays at the entry of its exit
  // syscall, which ends its history (kEndOfTrace with exit_ahead), so that
  // a debugger can still go backwards from there (as rr does).
  bool keep_focus_at_exit = false;
};

struct ThreadRef {
  RecordedTid tid;
  LiveTid live_tid;  // the replaying thread
  std::string name;  // as the program set it; empty when it did not
};

class ReplaySession {
 public:
  static Expected<std::unique_ptr<ReplaySession>> Open(const ReplayOptions& options);
  // A session at the event of `set` (the snapshots the recorder kept in the
  // trace there, one per process then alive), built from them rather than
  // by re-executing up to it (replay_snapshot.cc). Refused (kUnsupported,
  // saying why) for what cannot be restored yet: several threads in a
  // process, shared mappings, a set without options.focus_pid, a set with
  // a snapshot missing.
  static Expected<std::unique_ptr<ReplaySession>> OpenAtSnapshot(
      const ReplayOptions& options, std::span<const trace::Snapshot* const> set,
      trace::SnapshotLibrary& library);
  ~ReplaySession();

  // Runs until a breakpoint, watchpoint, signal or the end.
  Expected<ReplayStop> Continue();
  // Executes one instruction of the thread that runs next (a syscall
  // instruction counts as one).
  Expected<ReplayStop> Step();
  // Executes one instruction of thread `tid` (recorded). Other threads run
  // first, as recorded, until it is that thread's turn; their breakpoints
  // do not stop them (a debugger steps one thread over a breakpoint this way).
  Expected<ReplayStop> StepThread(pid_t tid);
  // `pc` is in the current thread's process's copy of rewind's own code
  // (replayer/library_code.h).
  bool InLibraryCode(uint64_t pc) const {
    return MayBeInLibraryCode() && cur_->mm->library_code.Contains(pc);
  }
  // False when the current thread cannot be in that code (its process has
  // none): no need to read its pc.
  bool MayBeInLibraryCode() const {
    return cur_ && !at_end_ && !cur_->mm->library_code.empty();
  }

  // A copy-on-write copy of this session at its current point (a
  // checkpoint). Allowed at event boundaries and debugger stops of a
  // single-threaded, single-process replay, not while a recorded signal
  // waits for delivery or after the end. The copy shares the trace reader,
  // has no breakpoints or watchpoints, and echoes nothing until set_echo_from_event.
  Expected<std::unique_ptr<ReplaySession>> Fork();
  bool CanFork() const;

  // Called after each event Continue() replays; returning true makes
  // Continue() stop there with kEventBoundary.
  void set_boundary_stop(std::function<bool(uint64_t event)> predicate) {
    boundary_stop_ = std::move(predicate);
  }
  // Echo output only of events numbered >= `event`, so output appears once
  // even when execution is repeated from a checkpoint.
  void set_echo_from_event(uint64_t event) { echo_from_event_ = event; }
  // Polled about every 100 ms while the program runs; when it returns true
  // the run stops at once with kInterrupted (a debugger's Ctrl-C).
  void set_interrupt_poll(std::function<bool()> poll) { interrupt_poll_ = std::move(poll); }
  // Stops at the entry and return of these syscalls of the focus process
  // (Continue() only; a step runs a syscall through), buffered ones too:
  // their library leaves them to the replayer meanwhile, when one of them
  // can be buffered (a debugger following execs always catches execve,
  // which the library never runs).
  void set_syscall_catch(const SyscallCatch& which) {
    catcher_.set_catch(which);
    syscallbuf_.SetExpand(CatchesBufferable(which));
  }
  // Whether `which` catches a syscall the syscall buffer may have run.
  bool CatchesBufferable(const SyscallCatch& which) const;
  // The current thread sits at the entry of a caught syscall.
  bool at_syscall_entry_stop() const { return cur_ && cur_->caught_entry; }
  // The current thread sits at the return of a caught buffered syscall,
  // which only a run that catches syscalls passes through.
  bool at_buffered_return_stop() const { return cur_ && cur_->buffered_return; }
  // True when the thread sits exactly after replaying an event.
  bool at_event_boundary() const { return at_boundary_; }
  // How many of its buffered syscalls the current thread has made since the
  // batch it runs through was loaded (0 without one): two points of one
  // stretch between events differ there when buffered syscalls ran between.
  uint64_t BufferedSyscallsDone() const { return syscallbuf_.BufferedSyscallsDone(); }

  // Breakpoints and watchpoints of the focus process.
  // `program`: see ReplayBreakpoints::InsertBreakpoint.
  Status InsertBreakpoint(uint64_t addr, const std::string& program = "") {
    return breakpoints_.InsertBreakpoint(addr, program);
  }
  Status RemoveBreakpoint(uint64_t addr) { return breakpoints_.RemoveBreakpoint(addr); }
  // Replaces the watchpoints: in the debug registers when they work here
  // and hold the request, by page protection otherwise (any number, any
  // length). Always true now; the result is kept for callers that check.
  Expected<bool> SetWatchpoints(const std::vector<arch::HwWatch>& watches) {
    return watch_.SetWatchpoints(watches);
  }
  // Faults on pages protected for watchpoints so far (0 with hardware ones).
  uint64_t watch_page_faults() const { return watch_.page_watch().faults(); }
  bool hardware_watchpoints() const { return watch_.hardware(); }

  // The current thread: the one that last ran or runs next.
  Expected<arch::Registers> GetRegisters() const {
    if (!cur_) return Status(ErrorCode::kInvalidInput, "no thread is running");
    return cur().tracee.GetRegisters();
  }
  Expected<std::vector<uint8_t>> GetFpRegisters() const {
    if (!cur_) return Status(ErrorCode::kInvalidInput, "no thread is running");
    return cur().tracee.GetFpRegisters();
  }
  // StackWindowHash (core/stack_hash.h) of the current thread.
  Expected<uint64_t> StackWindowHash() const;
  // Any thread, by recorded tid.
  Expected<arch::Registers> GetRegisters(RecordedTid tid) const;
  Expected<std::vector<uint8_t>> GetFpRegisters(RecordedTid tid) const;
  // The live thread that replays recorded thread `tid`; null if none. For
  // a Diversion, which runs a forked session's threads off the recording.
  Tracee* FindTracee(RecordedTid tid) const;
  // Memory of the focus process as the program sees it: breakpoints and
  // rewind's patches hidden.
  Expected<std::vector<uint8_t>> ReadMemory(RemoteAddr addr, size_t len) const {
    return breakpoints_.ReadMemory(addr, len);
  }

  const trace::TraceHeader& header() const { return reader_->header(); }
  const trace::TraceReader& reader() const { return *reader_; }
  std::shared_ptr<trace::TraceReader> shared_reader() const { return reader_; }
  const arch::Arch& arch() const { return *arch_; }
  // Number of events replayed so far.
  uint64_t event_number() const { return events_.event_number(); }
  uint64_t event_count() const { return reader_->event_count(); }
  // The focus process ended.
  bool exited() const { return exited_.has_value(); }
  pid_t recorded_pid() const { return focus_pid_; }
  // Recorded tid of the current thread.
  RecordedTid current_tid() const { return RecordedTid(cur_ ? cur_->tid : focus_pid_); }
  // The live thread of the focus process to read /proc through; invalid
  // when it has none.
  LiveTid live_tid() const;
  // No events left to replay.
  bool finished() {
    Expected<const trace::Event*> next = PeekEvent();
    return !at_end_ && next.ok() && *next == nullptr;
  }
  // Live threads of the focus process, in creation order.
  std::vector<ThreadRef> Threads() const;
  // The last signal delivered to the program (0 if none); for crash reports.
  const trace::SignalEvent* last_signal() const { return last_signal_ ? &*last_signal_ : nullptr; }
  const std::string& exec_path() const { return focus_mm_->exec_path; }
  // Trace copy of each file the focus process mapped (path as it saw it ->
  // copy), so a debugger reads the bytes that ran even if the file changed.
  const std::map<std::string, std::string>& mapped_files() const { return focus_mm_->mapped_files; }
  // Probes that find a point inside a loop at native speed, where a
  // breakpoint would trap on every pass: see position_probes.h.
  Status ArmStateProbe(const Position& target, const std::vector<uint8_t>& stack_window) {
    return probes_.ArmStateProbe(target, stack_window);
  }
  Status ArmRegisterProbe(const Position& target) { return probes_.ArmRegisterProbe(target); }
  std::vector<uint8_t> CurrentStackWindow() const { return probes_.CurrentStackWindow(); }
  Status ArmArrivalProbe(uint64_t pc, uint64_t n, uint64_t until_event) {
    return probes_.ArmArrivalProbe(pc, n, until_event);
  }
  bool PositionProbeFits(uint64_t pc) { return probes_.PositionProbeFits(pc); }
  Expected<uint64_t> DisarmPositionProbe() { return probes_.DisarmPositionProbe(); }

  // The in-process probes' pages in the focus process: rewind's, not the program's.
  const std::vector<ProbePages::Area>& probe_areas() const {
    return focus_mm_->probe_pages.areas();
  }

 private:
  friend class ReplayPart;
  friend class SyscallReplayer;
  friend class ProcessLifecycle;
  friend class SignalReplayer;
  friend class PositionProbes;
  friend class ReplayWatchpoints;
  friend class ReplayBreakpoints;
  friend class ReplayCodeGuard;

  ReplaySession(std::shared_ptr<trace::TraceReader> reader, const arch::Arch& arch,
                ReplayOptions options);

  // Makes `task`'s process, replayed up to its exec or a copy of it, the
  // snapshot's image.
  Status BecomeSnapshot(ReplayTask& task, const trace::Snapshot& snapshot,
                        trace::SnapshotLibrary& library);
  // `task`, a copy of a process of another program, runs the program of
  // `snapshot`'s process: the exec it did, of the trace's copies, so that
  // its executable, auxiliary vector and program break base are that
  // exec's.
  Status ExecProgramOf(ReplayTask& task, const trace::Snapshot& snapshot);
  // `task`, on the instruction of the syscall it waits in (a snapshot's or
  // checkpoint's copy of a thread parked at that syscall's entry), runs
  // into the syscall's entry stop and is parked there (at_syscall_entry).
  Status EnterSyscall(ReplayTask& task);

  // --- scheduling and stops (replay_session.cc) ---
  // Resumes once and hands the resulting stop to the part it concerns;
  // nullopt means "keep going".
  Expected<std::optional<ReplayStop>> ResumeOnce(bool step);
  // Makes the owner of the next event current. nullopt: proceed; a stop:
  // report it (end of trace, a thread's parked syscall finished, ...).
  Expected<std::optional<ReplayStop>> ScheduleNextEvent(bool step);
  // Bookkeeping after an event was replayed; may produce a stop.
  std::optional<ReplayStop> AfterEvent(bool step);
  Expected<const trace::Event*> PeekEvent() { return events_.Peek(); }
  void ConsumeEvent() { events_.Consume(); }
  // A divergence at the current event, naming the current thread.
  Status Diverged(const std::string& what) const;
  // The same, naming an earlier event (a buffered batch's) as where.
  Status DivergedAt(uint64_t event, const std::string& what) const;
  ReplayStop EndOfTrace() const;
  ReplayStop MakeStop(ReplayStop::Kind kind) const;
  // Waits for thread `t` to stop or end. A leader's death is reported only
  // once the process's other threads are reaped: when `t` leads and has
  // ended meanwhile, they are reaped here. With `interruptible`, stops the
  // thread with SIGSTOP when interrupt_poll_ fires.
  // A thread that runs long toward one event is reported (RunWatchdog):
  // during a fingerprint search always, else only with no debugger there.
  Expected<WaitStatus> WaitFor(ReplayTask& t, bool interruptible);
  Expected<WaitStatus> WaitRunning(ReplayTask& t, bool interruptible);
  ReplayTask& cur() const { return *cur_; }
  // `recorded_tid` as events name it.
  ReplayTask* FindTask(pid_t recorded_tid) const {
    return threads_.Find(RecordedTid(recorded_tid));
  }
  // A live thread of `mm` to read and write its memory through.
  Tracee* TaskIn(const AddressSpace& mm) const { return threads_.AnyIn(mm, cur_); }
  bool InFocus(const ReplayTask& t) const { return t.mm == focus_mm_; }
  Tracee& tracee() const { return cur_->tracee; }
  CodePatcher& patcher() const { return cur_->mm->patcher; }

  // Shared with the session's checkpoints; each reads at its own cursor_.
  std::shared_ptr<trace::TraceReader> reader_;
  // Writable copies of shared file mappings; shared with checkpoints.
  std::shared_ptr<SharedFileCopies> shared_copies_ = std::make_shared<SharedFileCopies>();
  // The replayed processes' working directory, where execs are staged;
  // shared with the checkpoints.
  std::shared_ptr<ExecStaging> staging_;
  const arch::Arch* arch_;
  ReplayOptions options_;
  EventCursor events_;
  Process root_;
  ThreadTable threads_;
  ReplayTask* cur_ = nullptr;
  pid_t focus_pid_ = 0;
  std::shared_ptr<AddressSpace> focus_mm_;
  std::optional<trace::SignalEvent> last_signal_;
  std::optional<WaitStatus> exited_;  // of the focus process
  // The recorded status of the exit the focus process stays before.
  std::optional<int> exit_ahead_;
  bool at_end_ = false;
  std::function<bool(uint64_t)> boundary_stop_;
  bool at_boundary_ = false;
  uint64_t echo_from_event_ = 0;
  std::function<bool()> interrupt_poll_;
  bool interrupt_sent_ = false;  // our SIGSTOP is on its way to the tracee

  // The parts, each with its own state (see replay_part.h).
  SyscallReplayer syscalls_{*this};
  ProcessLifecycle lifecycle_{*this};
  SyscallBufferReplayer syscallbuf_{*this, syscalls_, threads_};
  ReplayWatchpoints watch_{*this};
  SyscallCatcher catcher_{*this, watch_};  // after watch_, its collaborator
  SignalReplayer signals_{*this};
  PositionProbes probes_{*this};
  ReplayBreakpoints breakpoints_{*this};
  ReplayCodeGuard code_guard_{*this};
};

// ReplayPart's calls (replay_part.h), here where ReplaySession is complete.
inline bool ReplayPart::has_cur() const { return s_.cur_ != nullptr; }
inline ReplayTask& ReplayPart::cur() const { return s_.cur(); }
inline Tracee& ReplayPart::tracee() const { return s_.tracee(); }
inline CodePatcher& ReplayPart::patcher() const { return s_.patcher(); }
inline const arch::Arch& ReplayPart::arch() const { return s_.arch(); }
inline Expected<const trace::Event*> ReplayPart::PeekEvent() const { return s_.PeekEvent(); }
inline void ReplayPart::ConsumeEvent() const { s_.ConsumeEvent(); }
inline uint64_t ReplayPart::event_number() const { return s_.event_number(); }
inline Status ReplayPart::Diverged(const std::string& what) const { return s_.Diverged(what); }
inline Status ReplayPart::DivergedAt(uint64_t event, const std::string& what) const {
  return s_.DivergedAt(event, what);
}
inline ReplayStop ReplayPart::MakeStop(ReplayStop::Kind kind) const { return s_.MakeStop(kind); }
inline std::optional<ReplayStop> ReplayPart::AfterEvent(bool step) const {
  return s_.AfterEvent(step);
}
inline ReplayTask* ReplayPart::FindTask(pid_t recorded_tid) const {
  return s_.FindTask(recorded_tid);
}
inline bool ReplayPart::InFocus(const ReplayTask& t) const { return s_.InFocus(t); }
inline bool ReplayPart::focus_exited() const { return s_.exited(); }

}  // namespace rwd::replayer
