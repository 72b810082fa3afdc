// ReplaySession: re-executes a trace deterministically in a fresh process.
//
// The replayed process runs under PTRACE_SYSEMU. At each syscall the next
// recorded event is checked (number and arguments) and then either emulated
// (recorded memory and result written; nothing runs in the kernel) or, for
// address-space, signal-state, exec and exit syscalls, executed for real and
// its result checked. Trapped instructions and signals are matched and
// reproduced the same way. Any mismatch is a kDivergence error naming the
// event number, what was expected and what was seen.
//
// Forward execution only; checkpoints and reverse execution build on it.
// The session owns the replayed process (killed on destruction).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/code_patcher.h"
#include "core/process.h"
#include "core/status.h"
#include "core/tracee.h"
#include "trace/trace_reader.h"

namespace rwd::replayer {

struct ReplayOptions {
  std::string trace_dir;
  // Reproduce the program's writes to stdout/stderr on ours (as rr does).
  bool echo_output = true;
  // Where the program's stdout is reproduced; stderr when stdout carries
  // the gdb protocol (--stdio).
  int stdout_fd = 1;
};

struct ReplayStop {
  enum class Kind {
    kStep,          // a single-step finished
    kBreakpoint,    // a software breakpoint at `addr` was hit
    kWatchpoint,    // hardware watchpoint `watch_index` triggered
    kSignal,        // the recorded signal `signo` is about to be delivered
    kExited,        // the process ended; `wait_status` as recorded
    kEndOfTrace,    // no more events (a trace cut short); `note` says why
    kEventBoundary, // the boundary predicate asked to stop after an event
    kHistoryStart,  // reverse execution reached the start of the recording
    kInterrupted,   // the debugger interrupted a long run
  };
  Kind kind = Kind::kStep;
  uint64_t addr = 0;
  int watch_index = -1;
  int signo = 0;
  int wait_status = 0;
  std::string note;
};

class ReplaySession {
 public:
  static Expected<std::unique_ptr<ReplaySession>> Open(const ReplayOptions& options);
  ~ReplaySession();

  // Runs until a breakpoint, watchpoint, signal or the end.
  Expected<ReplayStop> Continue();
  // Executes one instruction (a syscall instruction counts as one).
  Expected<ReplayStop> Step();

  // A copy-on-write copy of this session at its current point (a
  // checkpoint). Allowed at event boundaries and debugger stops, not while a
  // recorded signal waits for delivery or after the end. The copy shares the
  // trace reader, has no breakpoints or watchpoints, and does not echo.
  Expected<std::unique_ptr<ReplaySession>> Fork();
  bool CanFork() const { return !exited_ && !at_end_ && pending_signal_ == 0; }

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
  // True when the thread sits exactly after replaying an event.
  bool at_event_boundary() const { return at_boundary_; }

  Status InsertBreakpoint(uint64_t addr);
  Status RemoveBreakpoint(uint64_t addr);
  // Replaces the hardware watchpoints; false when the hardware cannot hold them.
  Expected<bool> SetWatchpoints(const std::vector<arch::HwWatch>& watches);

  Expected<arch::Registers> GetRegisters() const { return tracee_.GetRegisters(); }
  Expected<std::vector<uint8_t>> GetFpRegisters() const { return tracee_.GetFpRegisters(); }
  // Memory as the program sees it: breakpoints and rewind's patches hidden.
  Expected<std::vector<uint8_t>> ReadMemory(uint64_t addr, size_t len) const;

  const trace::TraceHeader& header() const { return reader_->header(); }
  const trace::TraceReader& reader() const { return *reader_; }
  std::shared_ptr<trace::TraceReader> shared_reader() const { return reader_; }
  const arch::Arch& arch() const { return tracee_.arch(); }
  // Number of events replayed so far.
  uint64_t event_number() const { return cursor_ - (next_ ? 1 : 0); }
  uint64_t event_count() const { return reader_->event_count(); }
  bool exited() const { return exited_.has_value(); }
  pid_t recorded_pid() const { return recorded_pid_; }
  pid_t live_tid() const { return tracee_.tid(); }
  // The last signal delivered to the program (0 if none); for crash reports.
  const trace::SignalEvent* last_signal() const {
    return last_signal_ ? &*last_signal_ : nullptr;
  }
  const std::string& exec_path() const { return exec_path_; }
  // Trace copy of each file the program mapped (path as it saw it -> copy),
  // so a debugger reads the bytes that ran even if the file changed since.
  const std::map<std::string, std::string>& mapped_files() const { return mapped_files_; }

 private:
  ReplaySession(std::shared_ptr<trace::TraceReader> reader, Process process, Tracee tracee,
                ReplayOptions options);

  // Resumes once and handles the resulting stop; nullopt means "keep going".
  Expected<std::optional<ReplayStop>> ResumeOnce(bool step);
  Expected<std::optional<ReplayStop>> OnSyscallStop(bool step);
  Expected<std::optional<ReplayStop>> OnSignalStop(int signo, bool step);
  Expected<std::optional<ReplayStop>> OnExit(const WaitStatus& ws);
  // Bookkeeping after an event was replayed; may produce a stop.
  std::optional<ReplayStop> AfterEvent(bool step);

  // The next event, read ahead; nullptr at the end of the readable events.
  Expected<const trace::Event*> PeekEvent();
  void ConsumeEvent() { next_.reset(); }
  Status Diverged(const std::string& what) const;
  ReplayStop EndOfTrace() const;

  Status EmulateSyscall(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  Status ExecuteSyscall(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  Status ReplayExec(const trace::ExecEvent& ev);
  // Re-runs the syscall the thread is stopped at, for real. `args` replaces
  // the arguments when given. Returns the result, or the exit when the
  // process ended.
  Expected<int64_t> ExecuteInPlace(const std::optional<std::array<uint64_t, 6>>& args,
                                   std::optional<WaitStatus>* exited);
  void EchoOutput(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  Status InjectPendingAsyncSignal();
  Status Plant(uint64_t addr);
  Status Unplant(uint64_t addr);
  // Plants deferred breakpoints whose memory is now mapped.
  Status PlantDeferred();
  // After a mapping change: re-plants breakpoints whose bytes it replaced.
  Status RefreshBreakpoints();
  // At a state where the pending fingerprinted signal may be due: queues it
  // when `regs` match. Returns whether it did.
  Expected<bool> DeliverAtFingerprint(const arch::Registers& regs);
  // Waits for the tracee, stopping it with SIGSTOP if interrupt_poll_ fires.
  Expected<WaitStatus> WaitInterruptibly();
  // Steps over a breakpoint at the current pc before continuing; returns a
  // stop that step produced other than a plain step.
  Expected<std::optional<ReplayStop>> StepOverBreakpoint();

  // Shared with the session's checkpoints; each reads at its own cursor_.
  std::shared_ptr<trace::TraceReader> reader_;
  uint64_t cursor_ = 0;  // number of the next event to read from reader_
  Process process_;
  Tracee tracee_;
  ReplayOptions options_;
  CodePatcher patcher_;
  std::optional<trace::Event> next_;
  // Every planted breakpoint instruction (addr -> original bytes); those the
  // debugger asked for are also in debugger_breakpoints_.
  std::map<uint64_t, std::vector<uint8_t>> breakpoints_;
  std::set<uint64_t> debugger_breakpoints_;
  // Debugger breakpoints in memory not mapped yet (e.g. in a library, after
  // going back to before it was loaded): planted when a mapping appears.
  std::set<uint64_t> deferred_breakpoints_;
  // Where a fingerprinted signal (see trace::SignalEvent) waits to be
  // delivered, while armed.
  std::optional<uint64_t> fingerprint_breakpoint_;
  uint64_t fingerprint_misses_ = 0;
  uint64_t step_from_pc_ = 0;  // pc a single-step started from
  std::vector<arch::HwWatch> watches_;
  int pending_signal_ = 0;
  std::optional<trace::SignalEvent> last_signal_;
  std::optional<WaitStatus> exited_;
  pid_t recorded_pid_ = 0;
  std::string exec_path_;
  std::map<std::string, std::string> mapped_files_;
  bool at_end_ = false;
  // Set when the last stop reported was a breakpoint hit here: resuming must
  // step over it. A fresh arrival at a breakpoint address (e.g. from a
  // checkpoint) traps again, so hit counts do not depend on where execution
  // started.
  std::optional<uint64_t> reported_breakpoint_;
  std::function<bool(uint64_t)> boundary_stop_;
  bool at_boundary_ = false;
  uint64_t echo_from_event_ = 0;
  std::function<bool()> interrupt_poll_;
  bool interrupt_sent_ = false;  // our SIGSTOP is on its way to the tracee
  bool signal_queued_ = false;   // a recorded signal was sent, not yet delivered
};

}  // namespace rwd::replayer
