// Timeline: time travel over a trace. Owns the live execution the
// debugger sees and a set of copy-on-write checkpoints (forked copies of the
// replayed process, frozen at event boundaries).
//
// Going to any Position restores the nearest earlier checkpoint (forks it
// again, so the checkpoint stays reusable) and re-executes from there.
// Reverse-continue re-executes the stretch before the current position with
// the debugger's breakpoints and watchpoints armed and goes to the last hit;
// reverse-step finds the predecessor state by single-stepping from the
// nearest earlier point. Checkpoints are taken automatically every
// `checkpoint_interval` of replay time and on request; beyond
// `max_checkpoints` automatic ones are thinned out (the first is kept).
//
// Timeline drives executions through the narrow Execution interface
// (replayer/execution.h): over real replays (Open) and, in unit tests, over
// scripted fakes (OpenOver).
//
// Single-threaded; everything runs on the caller's thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "replayer/checkpoint_set.h"
#include "replayer/execution.h"
#include "replayer/position.h"
#include "replayer/replay_execution.h"
#include "replayer/replay_session.h"
#include "replayer/snapshot_opener.h"

namespace rwd::replayer {

struct TimelineOptions {
  ReplayOptions replay;
  std::chrono::milliseconds checkpoint_interval{200};
  size_t max_checkpoints = 48;
  // History starts once this many events have been replayed (1: after the
  // first exec). Later for a process of the tree other than the first.
  uint64_t start_event = 1;
  // Start re-executions at the recorder's snapshots (trace/snapshot.h) when
  // one is closer than every checkpoint (Open() only).
  bool use_snapshots = true;
};

struct TimelineStats {
  uint64_t checkpoints_taken = 0;
  uint64_t restores = 0;             // checkpoint restores (forks of a checkpoint)
  uint64_t restores_from_start = 0;  // of those, from the checkpoint at event 1
  uint64_t last_restore_event = 0;   // event of the checkpoint last restored
  uint64_t snapshots_opened = 0;     // checkpoints made from the trace's snapshots
};

using InterruptPoll = std::function<bool()>;

// A debugger's watchpoint: the number its front end shows, and what it
// watches. The Timeline is the one keeper of the list (DebuggerSession reads
// it); each execution is given the ranges alone, in this order, and names a
// watchpoint that fired by its index (ReplayStop::watch_index).
struct Watchpoint {
  int id = 0;
  arch::HwWatch range;  // address, length, kind
};
inline std::vector<arch::HwWatch> WatchedRanges(const std::vector<Watchpoint>& watchpoints) {
  std::vector<arch::HwWatch> out;
  for (const Watchpoint& w : watchpoints) out.push_back(w.range);
  return out;
}

// How Timeline::LastVisitBefore looks for a previous visit.
struct VisitOptions {
  bool probes_only = false;
  // With probes: this many arrivals back instead of the last one (or the
  // first arrival, if fewer came); `arrivals` receives how many came.
  uint64_t passes_back = 1;
  uint64_t* arrivals = nullptr;
  // When it fires while probes re-execute the loop (seconds for a long
  // one), the search stops: the copy that was running goes to
  // `stopped_early`, where it got to, and no visit is returned.
  std::function<bool()> interrupted;
  std::unique_ptr<Execution>* stopped_early = nullptr;
};

class Timeline {
 public:
  // Over real replays of options.replay.
  static Expected<std::unique_ptr<Timeline>> Open(const TimelineOptions& options);
  // Over executions `open` makes (options.replay is not used).
  static Expected<std::unique_ptr<Timeline>> OpenOver(ExecutionOpener open,
                                                      const TimelineOptions& options);

  // The session the debugger sees. Only for timelines made by Open().
  ReplaySession& live();
  Position Current();

  // The debugger's breakpoints and watchpoints; kept across restores. A
  // breakpoint with a `program` is one of that program only
  // (Execution::InsertBreakpointIn).
  Status InsertBreakpoint(uint64_t addr, const std::string& program = "");
  Status RemoveBreakpoint(uint64_t addr);
  // Replaces the watchpoints; false (and the old ones kept) when the live
  // execution cannot hold them.
  Expected<bool> SetWatchpoints(const std::vector<Watchpoint>& watchpoints);
  const std::vector<Watchpoint>& watchpoints() const { return watchpoints_; }
  // Syscalls whose entry and return stop Continue and ReverseContinue.
  void SetSyscallCatch(const SyscallCatch& which);

  Expected<ReplayStop> Continue(const InterruptPoll& interrupted);
  // One instruction of thread `tid` (recorded), or of the thread that runs
  // next when tid <= 0.
  Expected<ReplayStop> Step(pid_t tid = 0);
  // When `interrupted` fires (gdb's Ctrl-C, or gdb gone), stops with
  // kInterrupted where the re-execution got to, a point before the start.
  Expected<ReplayStop> ReverseContinue(const InterruptPoll& interrupted);
  Expected<ReplayStop> ReverseStep();

  Expected<int> TakeCheckpoint(const std::string& name);
  std::vector<CheckpointInfo> Checkpoints() const;
  // The points the program named while recorded (rewind_checkpoint).
  const std::vector<TraceBookmark>& bookmarks() const { return bookmarks_; }
  // By id or name; a name no checkpoint has may be a bookmark's (the first
  // of that name), reached from its snapshot or by re-execution.
  Status RestoreCheckpoint(const std::string& id_or_name);
  // Goes to the first point at which `event` events have been replayed,
  // printing progress when that takes a while. When `interrupted` says so,
  // it stops at the event boundary it has reached (event_number() tells).
  Status GotoEvent(uint64_t event, const InterruptPoll& interrupted = nullptr);
  Status Goto(const Position& target);
  // The first instruction of history, as after Open().
  Status GotoStart() { return Goto(start_); }

  bool AtHistoryStart();
  const TimelineStats& stats() const { return stats_; }
  uint64_t event_count() const { return live_->event_count(); }
  // Of the live execution: events replayed so far; the focus process ended.
  uint64_t event_number() const { return live_->event_number(); }
  bool exited() const { return live_->exited(); }

 private:
  struct Frozen {
    Position position;
    std::unique_ptr<Execution> execution;
    // A restored snapshot set of several processes cannot be forked
    // (Execution::CanFork): each restore opens it again, the first takes
    // the one opened to find it.
    std::function<Expected<std::unique_ptr<Execution>>()> reopen;
    mutable std::unique_ptr<Execution> unused;
  };
  using Checkpoint = CheckpointSet<Frozen>::Entry;
  struct Hit {
    Position position;
    ReplayStop stop;
  };

  Timeline(ExecutionOpener open, TimelineOptions options)
      : open_(std::move(open)),
        options_(std::move(options)),
        checkpoints_(options_.max_checkpoints) {}
  // The checkpoint to re-execute from to reach `event`: the latest before
  // it, or a snapshot of the trace closer to it, made a checkpoint.
  const Checkpoint& NearestBefore(uint64_t event);
  // The latest checkpoint (or closer snapshot) that precedes every point of
  // `upper`; nullptr when none does.
  const Checkpoint* LatestBelow(const Position& upper);
  // `cp`, or a checkpoint made of the latest snapshot in (cp's event, upto].
  const Checkpoint& WithSnapshot(const Checkpoint& cp, uint64_t upto);
  // A fresh session forked from `cp`, with no debugger breakpoints.
  Expected<std::unique_ptr<Execution>> Restore(const Checkpoint& cp);
  // `after_path_switch`: `session` went forward from path_switch_, which
  // stays usable for its event; any other new live execution drops it.
  Status MakeLive(std::unique_ptr<Execution> session, bool after_path_switch = false);
  // Whether re-executing from path_switch_ may reach `target` (its event,
  // not the switch's own state); Goto and Predecessor try that first, then
  // re-execute from NearestBefore (timeline_positions.cc).
  bool MayFollowPathSwitch(const Position& target) const;
  Status GotoFrom(const Position& target, bool from_switch);
  Expected<std::optional<Position>> PredecessorFrom(const Position& target, bool from_switch);
  // For `target` at a function's first instruction, where the live
  // execution is: the call (or a PLT stub's jump) that led there, whose
  // registers the entry's state gives (Execution::StatesCallingHere),
  // stopped at by a probe at native speed however long the stretch before
  // it. The single steps from the previous visit of the entry would take
  // millions after a long loop. nullopt when none is found: the search by
  // steps decides.
  Expected<std::optional<Position>> CallBefore(const Position& target);
  // When the search from the previous visit of the target's instruction is
  // long (a loop ran in between): the last arrival of target.tid, before
  // the target, at the instruction that falls into it
  // (Execution::InsnFallingHere), counted by a breakpoint there while a
  // probe waits for the target; then steps from it (one, or through the
  // callee of a call). The live execution must be at `target`. nullopt
  // when that instruction does not lead there.
  Expected<std::optional<Position>> FromInsnBefore(const Position& target);
  // Runs `s` to the next arrival of state.tid at state.pc with exactly
  // state.regs, whatever the memory: by probe, or where none fits by a
  // breakpoint (at most kMaxCallerTraps traps). False when the event
  // passed first or the traps ran out.
  Expected<bool> RunToRegisters(Execution& s, const Position& state);
  // For `target` inside rewind's own code (Position::in_library), where a
  // debugger's breakpoint or a thread's event can leave a thread: the first
  // point of its thread after it in the program's code.
  Expected<std::optional<Position>> VisibleAfter(const Position& target);
  Status ArmDebuggerTraps(Execution& s);
  Status DisarmDebuggerTraps(Execution& s);
  Expected<int> AddCheckpoint(Execution& s, const std::string& name, bool automatic);
  // Runs `s` to the first stop at which it has replayed >= `event` events,
  // or to an earlier event boundary when `interrupted` says so.
  Status RunToEvent(Execution& s, uint64_t event, const InterruptPoll& interrupted = nullptr);
  struct Scan {
    std::optional<Hit> last;
    // When the debugger interrupted: the re-execution, stopped where it got to.
    std::unique_ptr<Execution> interrupted;
  };
  // Re-executes [cp, upper) and finds the last debugger trap before upper.
  Expected<Scan> ScanForLastHit(const Checkpoint& cp, const Position& upper,
                                const InterruptPoll& interrupted);
  // The same from `s`, which is at event `from_event` before upper.
  Expected<Scan> ScanFrom(std::unique_ptr<Execution> s, uint64_t from_event, const Position& upper,
                          const InterruptPoll& interrupted);
  // reverse-continue inside a loop with no events: the last trap within
  // the pass before `upper`, reached through probes. nullopt when that
  // pass holds none (or no probe gets there): the scan from checkpoints
  // decides.
  Expected<std::optional<ReplayStop>> ReverseContinueInLoop(const Position& upper,
                                                            const InterruptPoll& interrupted);
  // Where a reverse-continue that found `hit` stops: a watchpoint's
  // writing instruction, before the hit.
  Expected<Position> StopPosition(const Hit& hit);
  // Runs `s` forward to `target` (same stretch) through a state probe, or
  // with a breakpoint at its pc where none fits (catching every syscall for
  // a syscall's entry).
  Status RunToState(Execution& s, const Position& target);
  // The previous time `target`'s thread reached its instruction, replaying
  // from `cp` after `base_event` events. When it found it with probes,
  // `at_visit` receives the execution that stopped there. `probes_only`:
  // give up (nullopt, no execution) where probes do not find it, rather
  // than hit the instruction's breakpoint on every pass.
  Expected<std::optional<Position>> LastVisitBefore(const Checkpoint& cp, uint64_t base_event,
                                                    const Position& target,
                                                    std::unique_ptr<Execution>* at_visit,
                                                    const VisitOptions& options = {});
  // Runs `s` forward to `target` (same stretch) through a state probe;
  // returns how many times a thread arrived at target.pc before it, or
  // nullopt (nothing ran) when no probe fits there.
  // `stack_window`: see Execution::ArmStateProbe.
  // `interrupted` (may be null): set when the debugger's interrupt stopped
  // `s` first (with `s`'s interrupt poll set); nothing is returned then.
  Expected<std::optional<uint64_t>> RunToStateByProbe(Execution& s, const Position& target,
                                                      const std::vector<uint8_t>& stack_window,
                                                      bool* interrupted = nullptr);
  // A state where a probe can find `target`: itself, or where its thread
  // gets first after it; nullopt when none is known.
  // `stack_window` receives its FingerprintStackWindow where known.
  Expected<std::optional<Position>> ProbeAnchor(const Position& target,
                                                std::vector<uint8_t>* stack_window);
  // Makes `target`, a state of the last predecessor search's trail, live
  // by stepping a copy of the trail's start. False when it cannot.
  Expected<bool> GotoInTrail(const Position& target);
  // Runs `s`, whose probe is armed, to the probe's hit at target.pc for
  // which `is_it` holds; errors name `target`. Removes the probe and
  // returns its count (Execution::DisarmProbe). With `interrupted`, an
  // interrupt stop of `s` ends the run too, and sets it.
  Expected<uint64_t> RunToProbeHit(Execution& s, const Position& target,
                                   const std::function<bool()>& is_it, bool* interrupted = nullptr);
  // The state one instruction before `target`, or nullopt at history start.
  Expected<std::optional<Position>> Predecessor(const Position& target);
  ReplayStop HistoryStartStop();

  ExecutionOpener open_;
  // An execution at the latest snapshot in (after, upto], nullptr for none.
  std::function<Expected<std::unique_ptr<Execution>>(uint64_t after, uint64_t upto)> open_snapshot_;
  TimelineOptions options_;
  std::vector<TraceBookmark> bookmarks_;
  std::unique_ptr<Execution> live_;
  CheckpointSet<Frozen> checkpoints_;
  std::map<uint64_t, std::string> breakpoints_;  // address -> program, "" for any
  std::vector<Watchpoint> watchpoints_;
  SyscallCatch syscall_catch_;
  uint64_t high_water_event_ = 0;  // output of events below this was shown
  std::chrono::steady_clock::duration replay_time_since_checkpoint_{};
  Position start_;
  // States from the last predecessor search, oldest first, so repeated
  // reverse-steps do not single-step the same stretch again.
  std::vector<Position> trail_;
  // An execution at trail_'s first state, when one could be kept.
  std::unique_ptr<Execution> trail_start_;
  TimelineStats stats_;
  // Where the live execution was when the catch set last changed in the
  // middle of an event: the syscall buffer library takes another path from
  // there (it leaves its calls to the replayer while syscalls are caught),
  // so the states the live execution reached after it in that event (the
  // stack bytes below a call differ) are reached again only from there,
  // not by re-executing the event from its start with the new catch set.
  std::optional<Checkpoint> path_switch_;
  bool trail_after_path_switch_ = false;  // trail_start_ came from path_switch_
};

}  // namespace rwd::replayer
