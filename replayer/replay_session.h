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
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/code_patcher.h"
#include "core/process.h"
#include "core/tracee.h"
#include "replayer/event_cursor.h"
#include "replayer/exec_staging.h"
#include "replayer/page_watch.h"
#include "replayer/position.h"
#include "replayer/replay_stop.h"
#include "replayer/replay_task.h"
#include "replayer/shared_file_copies.h"
#include "replayer/syscall_catch.h"
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
  pid_t tid = 0;       // recorded
  pid_t live_tid = 0;  // the replaying thread
  std::string name;    // as the program set it; empty when it did not
};

class ReplaySession {
 public:
  static Expected<std::unique_ptr<ReplaySession>> Open(const ReplayOptions& options);
  // A session at `snapshot` (one the recorder kept in the trace), built from
  // it rather than by re-executing up to it (replay_snapshot.cc). Refused
  // (kUnsupported, saying why) for what cannot be restored yet: several
  // threads, shared mappings, a process other than options.focus_pid.
  static Expected<std::unique_ptr<ReplaySession>> OpenAtSnapshot(
      const ReplayOptions& options, const trace::Snapshot& snapshot,
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
  // (Continue() only; a step runs a syscall through).
  void set_syscall_catch(const SyscallCatch& which) { syscall_catch_ = which; }
  // The current thread sits at the entry of a caught syscall.
  bool at_syscall_entry_stop() const { return cur_ && cur_->caught_entry; }
  // True when the thread sits exactly after replaying an event.
  bool at_event_boundary() const { return at_boundary_; }
  // How many of its buffered syscalls the current thread has made since the
  // batch it runs through was loaded (0 without one): two points of one
  // stretch between events differ there when buffered syscalls ran between.
  uint64_t BufferedSyscallsDone() const;

  // Breakpoints and watchpoints of the focus process.
  Status InsertBreakpoint(uint64_t addr);
  Status RemoveBreakpoint(uint64_t addr);
  // Replaces the watchpoints: in the debug registers when they work here
  // and hold the request, by page protection otherwise (any number, any
  // length). Always true now; the result is kept for callers that check.
  Expected<bool> SetWatchpoints(const std::vector<arch::HwWatch>& watches);
  // Faults on pages protected for watchpoints so far (0 with hardware ones).
  uint64_t watch_page_faults() const { return page_watch_.faults(); }
  bool hardware_watchpoints() const { return hw_watch_; }

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
  Expected<arch::Registers> GetRegisters(pid_t tid) const;
  Expected<std::vector<uint8_t>> GetFpRegisters(pid_t tid) const;
  // Memory of the focus process as the program sees it: breakpoints and
  // rewind's patches hidden.
  Expected<std::vector<uint8_t>> ReadMemory(uint64_t addr, size_t len) const;

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
  pid_t current_tid() const { return cur_ ? cur_->tid : focus_pid_; }
  pid_t live_tid() const;
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
  // breakpoint would trap on every pass (replay_position_probe.cc). At most
  // one is armed; a hit removes it and stops Continue() with kBreakpoint at
  // its pc.
  // Stops thread target.tid arriving at target.pc in exactly `target`'s
  // state, counting every arrival of any thread at that pc meanwhile.
  // kUnsupported when no probe fits there (a breakpoint, another probe, a
  // recorded signal's point or a thread inside the bytes it would replace;
  // no encoder): the caller uses a breakpoint instead.
  // `stack_window` (may be empty): FingerprintStackWindow at the target,
  // to find a stack word that tells passes apart where registers do not.
  Status ArmStateProbe(const Position& target, const std::vector<uint8_t>& stack_window);
  // FingerprintStackWindow of the current thread; empty if unreadable.
  std::vector<uint8_t> CurrentStackWindow() const;
  // Stops the `n`-th arrival (n >= 1) of any thread of the focus process at
  // `pc`, expected within the events up to `until_event`.
  Status ArmArrivalProbe(uint64_t pc, uint64_t n, uint64_t until_event);
  // Whether the instructions at `pc` of the focus process take a probe.
  bool PositionProbeFits(uint64_t pc);
  // Removes the probe if no hit did; returns its count: arrivals so far (a
  // state probe's, the hit included), arrivals still to come (0 after an
  // arrival probe's hit).
  Expected<uint64_t> DisarmPositionProbe();

  // The in-process probes' pages in the focus process: rewind's, not the program's.
  const std::vector<ProbePages::Area>& probe_areas() const {
    return focus_mm_->probe_pages.areas();
  }

 private:
  ReplaySession(std::shared_ptr<trace::TraceReader> reader, const arch::Arch& arch,
                ReplayOptions options);

  // Makes the process, replayed up to its exec, the snapshot's image.
  Status BecomeSnapshot(const trace::Snapshot& snapshot, trace::SnapshotLibrary& library);

  // --- scheduling and stops (replay_session.cc) ---
  // Resumes once and handles the resulting stop; nullopt means "keep going".
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
  Expected<WaitStatus> WaitFor(ReplayTask& t, bool interruptible);
  ReplayTask& cur() const { return *cur_; }
  ReplayTask* FindTask(pid_t recorded_tid) const;
  bool InFocus(const ReplayTask& t) const { return t.mm == focus_mm_; }
  // Whether where `t` stops for a recorded preemption can matter to anyone:
  // false for a process of one thread, sharing no writable memory, that the
  // debugger does not look at. Replay lets such a thread run on to its next
  // event when its turn comes instead of finding the point.
  bool PreemptionPointObservable(const ReplayTask& t) const;
  Tracee& tracee() const { return cur_->tracee; }
  CodePatcher& patcher() const { return cur_->mm->patcher; }

  // --- syscalls, processes and exits (replay_syscalls.cc) ---
  // Replays the syscall event the thread stopped at (OnSyscallStop wraps it
  // for watchpoints).
  Expected<std::optional<ReplayStop>> ReplaySyscall(bool step);
  // Whether replay executes this syscall instead of emulating it (clone has
  // its own path).
  static bool RunsForReal(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  // `regs`: the thread's registers at the syscall stop.
  Status EmulateSyscall(const arch::SyscallInfo& row, const trace::SyscallEvent& ev,
                        arch::Registers regs);
  // The next event is a SIGSYS the program's seccomp filter raised at the
  // current thread's syscall instead of running it.
  Expected<bool> NextIsSeccompTrap();
  Status ExecuteSyscall(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  // rt_sigsuspend, pselect6, ppoll, epoll_pwait(2): waits with a temporary
  // signal mask (replay_masked_wait.cc).
  static bool IsMaskedWait(const arch::SyscallInfo& row);
  // Such a wait ended by the signal that follows it: delivered under the
  // wait's mask by running a wait for real with the signal queued.
  Status ReplayMaskedWait(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  Status ExecuteClone(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  // --- the in-process syscall buffer (replay_syscallbuf.cc) ---
  // The recording accepted the library's buffer at `addr`: it replays.
  Status RegisterSyscallBuffer(uint64_t addr);
  // Hands `batch` (the next event, `owner`'s) to the thread's buffer.
  Status LoadSyscallBatch(ReplayTask& owner, const trace::SyscallBatchEvent& batch);
  // At a syscall of the current thread (`seen`): the batch before it must
  // have been used up, else the program took another path than recorded.
  Status CheckSyscallBatchDone(const std::function<std::string()>& seen);
  // The library found a buffered call that does not match its record.
  Status SyscallBufferDiverged();
  // --- exec (replay_exec.cc) ---
  struct StagedExec {
    std::optional<std::array<uint64_t, 6>> args;  // execve's, naming the staged file
    ExecStaging::Plan plan;
    std::string elf_path;  // recorded path of the ELF that runs
  };
  Expected<StagedExec> StageExec(const trace::ExecEvent& ev);
  Status ReplayExec(const trace::ExecEvent& ev);
  // Re-runs the syscall the thread is stopped at, for real. `args` replaces
  // the arguments when given. Returns the result, or the exit when the
  // thread ended. `new_thread` receives the live tid a clone created.
  // `signo_at_entry` is queued at the syscall's entry, so that it is pending
  // while the syscall runs. Signals from the replay's own kernel objects (a
  // replayed child's exit) are dropped on the way, as everywhere in replay.
  Expected<int64_t> ExecuteInPlace(const std::optional<std::array<uint64_t, 6>>& args,
                                   std::optional<WaitStatus>* exited,
                                   std::optional<int64_t> nr = std::nullopt,
                                   pid_t* new_thread = nullptr, int signo_at_entry = 0);
  void EchoOutput(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  // Writes what the program wrote to the recorder's stdout (1) or stderr (2).
  void EchoBytes(int stream, const std::vector<uint8_t>& bytes);
  // The current thread ended (`ws`): reaps what ended with it and matches
  // the recorded ExitEvent.
  Expected<std::optional<ReplayStop>> OnExit(const WaitStatus& ws);
  // The recorded ExitEvent of a thread the replay must end itself (killed
  // from outside when recorded).
  Expected<std::optional<ReplayStop>> EndThreadAsRecorded(const trace::ExitEvent& exit);
  void ReapThread(ReplayTask& t);
  // Reaps the threads of recorded process `tgid` other than its leader and
  // `except`: the process is ending, and its leader (or `except`) is reported
  // only after them.
  void ReapThreadsOf(pid_t tgid, const ReplayTask* except);
  void RemoveTask(ReplayTask* task);

  // --- signals and preemptions (replay_signals.cc) ---
  Expected<std::optional<ReplayStop>> OnSignalStop(int signo, bool step);
  // `stepping`: the thread is about to be single-stepped, which must not
  // walk into a probe's trampoline.
  Status InjectPendingAsyncSignal(bool stepping);
  // Removes the probe or breakpoint waiting for `t`'s fingerprint.
  Status DisarmFingerprint(ReplayTask& t);
  // At a probe's miss (registers matched, stack did not): after two misses,
  // reinstalls the probe comparing a stack word that separates the passes.
  Status NarrowProbe(ReplayTask& t, const arch::Registers& target,
                     const std::vector<uint8_t>& recorded, const arch::Registers& regs);
  bool BreakpointNear(const AddressSpace& mm, uint64_t pc) const;
  // The current thread's pc lies within the 16 bytes after `site`.
  bool StoppedInsideSite(uint64_t site) const;
  // At a state where a fingerprinted signal or preemption may be due:
  // acts when `regs` match. Returns whether it did.
  Expected<bool> ReachedFingerprint(const arch::Registers& regs, bool* preempted);

  // --- caught syscalls (replay_syscall_catch.cc) ---
  // At a syscall stop of the current thread (or resuming one it was
  // stopped at for a caught entry): stops at a caught syscall's entry,
  // else replays it (OnSyscallStop) and stops at its return when caught.
  Expected<std::optional<ReplayStop>> OnCaughtSyscallStop(bool step);
  // A parked syscall's SyscallEvent (ReplayTask::at_syscall_entry) came:
  // finishes it and stops at its return when caught.
  Expected<std::optional<ReplayStop>> FinishParkedSyscall(bool step);
  // Which syscall the current thread's stop is, when it is one to catch.
  Expected<std::optional<int64_t>> CaughtSyscall(bool step) const;
  // `replayed`: what replaying thread `tid`'s caught syscall `nr` stopped
  // for; the return stop unless something else must be reported.
  std::optional<ReplayStop> CaughtReturn(pid_t tid, int64_t nr,
                                         std::optional<ReplayStop> replayed) const;
  // --- position probes (replay_position_probe.cc) ---
  struct PositionProbe {
    PositionProbe(ProbeStub s, std::optional<Position> t)
        : stub(std::move(s)), target(std::move(t)) {}
    ProbeStub stub;
    std::optional<Position> target;  // a state probe's; none for an arrival probe
    uint64_t passes = 0;             // the count, once a hit removed the probe
    std::vector<uint8_t> target_window;
    std::vector<uint8_t> last_miss_window;  // at the last pass that was not it
    bool narrowed = false;
  };
  // At a state probe's miss (registers matched, the stack did not): after
  // two, reinstalls it comparing a stack word that separates passes, its
  // count carried over. `regs`: the thread at the site.
  Status NarrowPositionProbe(const arch::Registers& regs);
  // Why no probe may go at `pc` for the events up to `until_event`, or Ok.
  Status CheckPositionProbeSite(uint64_t pc, uint64_t until_event);
  Status ArmPositionProbe(uint64_t pc, std::optional<Position> target, uint64_t countdown,
                          uint64_t until_event);
  // At the probe's trap (`regs`, pc already back at the site): the stop to
  // report, or none when the state is not the target (the thread goes on).
  Expected<std::optional<ReplayStop>> OnPositionProbeHit(arch::Registers& regs);

  // --- watchpoints (replay_watch.cc) ---
  Expected<std::optional<ReplayStop>> OnSyscallStop(bool step);
  // Delivers `signo` with the watched pages unprotected for the kernel's
  // signal frame, then handles the stop that follows.
  Expected<std::optional<ReplayStop>> DeliverSignalDisarmed(int signo, bool step);
  // At a SIGSEGV: nullopt when it is not a watched page's fault (or is the
  // program's own there); else what the fault came to.
  Expected<std::optional<std::optional<ReplayStop>>> OnPageWatchFault(bool step);
  ReplayStop WatchStop(int index) const;
  // A stopped thread of the focus process to inject mprotect into.
  Tracee* WatchTracee() const;
  // `at_signal_stop`: through the current thread, which sits at a signal
  // stop (see PageWatch::Arm).
  Status ArmPageWatch(bool at_signal_stop = false);
  Status DisarmPageWatch(bool at_signal_stop = false);

  // --- breakpoints (replay_breakpoints.cc) ---
  // A live thread of `mm` to read and write its memory through.
  Tracee* TaskIn(const AddressSpace& mm) const;
  Status Plant(AddressSpace& mm, uint64_t addr);
  Status Unplant(AddressSpace& mm, uint64_t addr);
  // Plants deferred breakpoints whose memory is now mapped.
  Status PlantDeferred();
  // After a mapping change: re-plants breakpoints whose bytes it replaced.
  Status RefreshBreakpoints();
  // While the syscall buffer library of the focus process reads libc's code
  // to patch it (RWD_SB_REGISTER_PATCHING to RWD_SB_READY), the debugger's
  // breakpoints wait as deferred ones: the library must see the bytes it
  // saw when recording.
  Status SuspendDebuggerBreakpoints();
  Status ResumeDebuggerBreakpoints();
  // Steps over a breakpoint at the current pc before continuing; returns a
  // stop that step produced other than a plain step.
  Expected<std::optional<ReplayStop>> StepOverBreakpoint();
  bool IsDebuggerBreakpoint(const ReplayTask& t, uint64_t addr) const {
    return InFocus(t) && debugger_breakpoints_.count(addr);
  }
  // Writes the original bytes under every breakpoint of `mm` into `task`'s
  // memory (a forked child must not inherit them).
  Status RemoveBreakpointsFrom(const AddressSpace& mm, Tracee& task);
  // The same for the probes patched into `mm`, in a process that copied it
  // (they stay in `mm`).
  Status RemoveProbesFrom(const AddressSpace& mm, Tracee& copy);

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
  std::vector<std::unique_ptr<ReplayTask>> tasks_;
  ReplayTask* cur_ = nullptr;
  pid_t focus_pid_ = 0;
  std::shared_ptr<AddressSpace> focus_mm_;
  std::set<uint64_t> debugger_breakpoints_;
  // Debugger breakpoints in memory not mapped yet (e.g. in a library, after
  // going back to before it was loaded): planted when a mapping appears.
  std::set<uint64_t> deferred_breakpoints_;
  // Deferred ones stay so: see SuspendDebuggerBreakpoints.
  bool breakpoints_suspended_ = false;
  std::vector<arch::HwWatch> watches_;
  SyscallCatch syscall_catch_;
  bool hw_watch_ = false;  // watches_ are in the debug registers
  PageWatch page_watch_;   // or in page protections of focus_mm_
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
  std::optional<PositionProbe> position_probe_;
  // The event whose fingerprint search WaitFor already called long.
  uint64_t fingerprint_noted_event_ = ~uint64_t{0};
};

}  // namespace rwd::replayer
