// DebuggerSession: the debugger's state over a replayer::Timeline, owned by
// no front end. The gdb server (gdbserver/replay_target.h) and the
// interactive console (console/) both drive one of these: breakpoints and
// watchpoints with ids, the selected thread, the last stop, checkpoints,
// goto and restart, and the stop logic (what a motion stops at, which
// watchpoint fired, when a breakpoint at the point a restart left is not a
// new hit). Front ends only translate: gdb packets, console commands.
//
// Borrows the timeline, which must outlive it. Single-threaded; a motion
// runs on the caller's thread and polls `interrupted`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "base/status.h"
#include "base/thread_id.h"
#include "debugger/process_state.h"
#include "replayer/syscall_catch.h"
#include "replayer/timeline.h"

namespace rwd::debugger {

struct Breakpoint {
  int id = 0;
  uint64_t addr = 0;
};

// Kept by the Timeline (replayer/timeline.h), whose order the replay's
// watch_index follows.
using Watchpoint = replayer::Watchpoint;

// `catch syscall`: stops at the entry and return of these syscalls.
struct Catchpoint {
  int id = 0;
  replayer::SyscallCatch syscalls;
};

enum class Motion : uint8_t { kContinue, kStep, kReverseContinue, kReverseStep };

// Where a motion (or the start) left the replay, as the debugger reads it.
struct Stop {
  replayer::ReplayStop replay;  // replay.kind says why
  int tid = 0;                  // recorded tid of the thread that stopped
  // kWatchpoint: the watchpoint that fired.
  std::optional<Watchpoint> watchpoint;
  // The motion failed (e.g. a divergence); the replay stays where it
  // stopped, reported as a plain step stop.
  Status error;
  // With follow_exec: the motion stopped where the debugged process's
  // program changed (an exec forward, or going back before one); the path
  // of the program it runs now, as recorded. Empty otherwise.
  std::string exec_path;
  // What the user should know about the motion besides where it stopped
  // (ProcessState: changes dropped unused, a run off the recording);
  // shown before the stop. Lines end with '\n'.
  std::string note;
};

struct ThreadEntry {
  RecordedTid tid;
  std::string name;
};

struct WhenInfo {
  uint64_t event = 0;
  uint64_t event_count = 0;
  bool exited = false;
  uint64_t pc = 0;
  bool boundary = false;  // exactly where an event's replay left the thread
  uint64_t buffered = 0;  // buffered syscalls of the thread since its batch's event
};

class DebuggerSession {
 public:
  // `first_tid`: the thread the program is stopped in before any motion
  // (recorded; the pid of the process the debugger sees).
  DebuggerSession(replayer::Timeline& timeline, pid_t first_tid);

  replayer::Timeline& timeline() { return timeline_; }
  // The live replay; only for sessions over real replays (Timeline::Open).
  replayer::ReplaySession& live() const { return timeline_.live(); }
  const arch::Arch& arch() const { return live().arch(); }
  // An error when the process the debugger sees has exited.
  Status CheckLive() const;
  // Registers and memory as the debugger sees them, and its changes to
  // them (which inferior function calls make).
  ProcessState& state() { return state_; }

  // --- breakpoints and watchpoints; kept across every motion ----------------
  // Several breakpoints may share an address; it stays armed while one does.
  // `id`: one ReserveId() gave (a pending breakpoint taking its address);
  // 0 for the next.
  Expected<int> AddBreakpoint(uint64_t addr, int id = 0);
  // The number the next breakpoint or watchpoint would get, taken now: a
  // front end's pending breakpoint keeps it until it has an address.
  int ReserveId() { return next_id_++; }
  Status DeleteBreakpoint(int id);
  // One of the breakpoints at `addr` (gdb names them by address); none: ok.
  Status DeleteBreakpointAt(uint64_t addr);
  const std::vector<Breakpoint>& breakpoints() const { return breakpoints_; }
  // A breakpoint of the debugger's own (stepping over a call, finishing a
  // function): no id, never listed, independent of the user's at the same
  // address. Remove each one inserted.
  Status InsertTemporaryBreakpoint(uint64_t addr);
  Status RemoveTemporaryBreakpoint(uint64_t addr);
  // Any length from 1 byte to kMaxWatchBytes; an error when the replay
  // cannot hold it.
  static constexpr uint32_t kMaxWatchBytes = 1u << 20;
  Expected<int> AddWatchpoint(const arch::HwWatch& range);
  Status DeleteWatchpoint(int id);
  // The watchpoint with exactly this range and kind; none: ok.
  Status DeleteWatchpointMatching(const arch::HwWatch& range);
  const std::vector<Watchpoint>& watchpoints() const { return timeline_.watchpoints(); }
  Expected<int> AddCatchpoint(const replayer::SyscallCatch& syscalls);
  Status DeleteCatchpoint(int id);
  // Replaces every catchpoint by one catching `syscalls` (none when empty):
  // gdb keeps its catchpoints itself and sends what they catch together.
  void SetCatchpoints(const replayer::SyscallCatch& syscalls);
  const std::vector<Catchpoint>& catchpoints() const { return catchpoints_; }
  // Motions stop where the debugged process changes program, in either
  // direction (Stop::exec_path), so that a front end loads the other
  // program's symbols and sets its breakpoints there, as gdb follows an
  // exec. Off by default (the console follows execs itself).
  void set_follow_exec(bool follow);
  // With follow_exec, after goto or restart: the program the process runs
  // there when it is not the one the front end was last told of; else "".
  std::string UntoldProgram() const;

  // --- threads -------------------------------------------------------------
  // Threads of the process the debugger sees, in creation order, named as
  // the program named them (else after its executable).
  std::vector<ThreadEntry> Threads();
  // The selected thread, else the one of the last stop, else the one that
  // runs next.
  RecordedTid CurrentThread();
  // Selects a thread until the next stop; tid <= 0 is a no-op.
  Status SelectThread(RecordedTid tid);

  // --- motion --------------------------------------------------------------
  // kStep steps thread `step_tid` (recorded), or the one that runs next when
  // <= 0. `interrupted` is polled by long runs (Ctrl-C); a motion it stops
  // ends with kInterrupted.
  const Stop& Resume(Motion motion, int step_tid, const std::function<bool()>& interrupted);
  const Stop& last_stop() const { return last_stop_; }

  // --- time travel ---------------------------------------------------------
  WhenInfo When();
  Expected<int> TakeCheckpoint(const std::string& name);
  std::vector<replayer::CheckpointInfo> Checkpoints() const { return timeline_.Checkpoints(); }
  // By id or name.
  Status Restart(const std::string& id_or_name);
  // Stops early, at the event boundary reached, when `interrupted` says so.
  Status Goto(uint64_t event, const std::function<bool()>& interrupted = nullptr);
  // The first instruction of history; forgets the selection and last stop.
  Status GotoStart();

  // --- what the replay knows besides registers and memory ------------------
  // The recorded siginfo of the signal thread `tid` stopped for.
  Expected<std::vector<uint8_t>> StoppedSignalInfo(int tid) const;
  // /proc/PID/maps as the recorded program saw it (debugger/recorded_maps.h).
  Expected<std::string> RecordedMaps() const;

 private:
  void SetLastStop(const replayer::ReplayStop& stop);
  bool Armed(uint64_t addr) const;
  // Hands what the catchpoints catch together to the timeline, with the
  // exec syscalls while following execs.
  void ArmCatchpoints();
  // Resume() in the replay, after any diversion was left.
  const Stop& ResumeReplay(Motion motion, int step_tid, const std::function<bool()>& interrupted);
  std::vector<uint64_t> ArmedAddresses() const;
  Expected<replayer::ReplayStop> Move(Motion motion, int step_tid,
                                      const std::function<bool()>& interrupted);
  // With follow_exec, a stop at an exec syscall that no catchpoint asked
  // for: a crossing into another program (the front end is told), else
  // passed by.
  bool IsExecCatch(const replayer::ReplayStop& stop) const;
  bool CaughtByUser(const replayer::ReplayStop& stop) const;
  // Removes every breakpoint and watchpoint, as an exec does natively.
  Status ForgetTrapsAtExec();
  // The program the debugged process runs now; "" after its exit, and
  // when not following execs.
  std::string Program() const;

  replayer::Timeline& timeline_;
  std::vector<Breakpoint> breakpoints_;
  std::vector<uint64_t> temporary_;  // one entry per insertion
  std::vector<Catchpoint> catchpoints_;
  int next_id_ = 1;  // shared by breakpoints and watchpoints, as in gdb
  Stop last_stop_;
  // The thread a front end selected (recorded tid); 0 for the one that
  // stopped last.
  RecordedTid selected_;
  // Where restart or goto left the replay, until it next resumes.
  std::optional<replayer::Position> moved_to_;
  bool follow_exec_ = false;
  // The program the front end was last told the process runs.
  std::string told_program_;
  // A catchpoint at an exec that a motion crossed: gdb resumes after an
  // exec stop at once with the same motion, which then reports this
  // without moving, as natively the exec event comes before the syscall's
  // own stop.
  struct HeldStop {
    Motion motion;
    replayer::ReplayStop stop;
  };
  std::optional<HeldStop> held_;
  ProcessState state_{timeline_, [this] { return ArmedAddresses(); }};
};

}  // namespace rwd::debugger
