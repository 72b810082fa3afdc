#include "debugger/debugger_session.h"

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

#include "debugger/recorded_maps.h"
#include "preload/syscallbuf_abi.h"

namespace rwd::debugger {

DebuggerSession::DebuggerSession(replayer::Timeline& timeline, pid_t first_tid)
    : timeline_(timeline) {
  // Before any motion the program sits at its first instruction, as after
  // a step.
  last_stop_.replay.kind = replayer::ReplayStop::Kind::kStep;
  last_stop_.tid = first_tid;
}

Status DebuggerSession::CheckLive() const {
  if (timeline_.exited())
    return Status(ErrorCode::kTraceeExited, "the replayed process has exited");
  return Status::Ok();
}

bool DebuggerSession::Armed(uint64_t addr) const {
  return std::any_of(breakpoints_.begin(), breakpoints_.end(),
                     [&](const Breakpoint& b) { return b.addr == addr; }) ||
         std::find(temporary_.begin(), temporary_.end(), addr) != temporary_.end();
}

Expected<int> DebuggerSession::AddBreakpoint(uint64_t addr, int id) {
  // Following execs, a breakpoint is the program's it was set in (each
  // exec takes them all, ForgetTrapsAtExec).
  if (!Armed(addr)) {
    RETURN_IF_ERROR(timeline_.InsertBreakpoint(addr, Program()));
    RETURN_IF_ERROR(state_.OnBreakpointInserted(addr));
  }
  breakpoints_.push_back(Breakpoint{id > 0 ? id : next_id_++, addr});
  return breakpoints_.back().id;
}

std::vector<uint64_t> DebuggerSession::ArmedAddresses() const {
  std::vector<uint64_t> out = temporary_;
  for (const Breakpoint& b : breakpoints_) out.push_back(b.addr);
  return out;
}

Status DebuggerSession::DeleteBreakpoint(int id) {
  auto it = std::find_if(breakpoints_.begin(), breakpoints_.end(),
                         [&](const Breakpoint& b) { return b.id == id; });
  if (it == breakpoints_.end()) {
    return Status(ErrorCode::kNotFound, "no breakpoint number " + std::to_string(id));
  }
  uint64_t addr = it->addr;
  breakpoints_.erase(it);
  if (Armed(addr)) return Status::Ok();
  RETURN_IF_ERROR(state_.OnBreakpointRemoved(addr));
  return timeline_.RemoveBreakpoint(addr);
}

Status DebuggerSession::DeleteBreakpointAt(uint64_t addr) {
  for (const Breakpoint& b : breakpoints_) {
    if (b.addr == addr) return DeleteBreakpoint(b.id);
  }
  return Status::Ok();
}

Status DebuggerSession::InsertTemporaryBreakpoint(uint64_t addr) {
  if (!Armed(addr)) {
    RETURN_IF_ERROR(timeline_.InsertBreakpoint(addr));
    RETURN_IF_ERROR(state_.OnBreakpointInserted(addr));
  }
  temporary_.push_back(addr);
  return Status::Ok();
}

Status DebuggerSession::RemoveTemporaryBreakpoint(uint64_t addr) {
  auto it = std::find(temporary_.begin(), temporary_.end(), addr);
  if (it == temporary_.end()) return Status::Ok();
  temporary_.erase(it);
  if (Armed(addr)) return Status::Ok();
  RETURN_IF_ERROR(state_.OnBreakpointRemoved(addr));
  return timeline_.RemoveBreakpoint(addr);
}

Expected<int> DebuggerSession::AddWatchpoint(const arch::HwWatch& range) {
  // Page protection holds a watch of any length; each of its pages costs
  // an mprotect pair at every executed syscall.
  if (range.len == 0 || range.len > kMaxWatchBytes) {
    return Status(ErrorCode::kUnsupported, "a watchpoint must cover 1 byte to 1 MiB (asked for " +
                                               std::to_string(range.len) + " bytes)");
  }
  std::vector<Watchpoint> watchpoints = timeline_.watchpoints();
  watchpoints.push_back(Watchpoint{next_id_, range});
  ASSIGN_OR_RETURN(bool fits, timeline_.SetWatchpoints(watchpoints));
  if (!fits) return Status(ErrorCode::kUnsupported, "the replay cannot hold this watchpoint");
  return next_id_++;
}

Status DebuggerSession::DeleteWatchpoint(int id) {
  std::vector<Watchpoint> watchpoints = timeline_.watchpoints();
  auto it = std::find_if(watchpoints.begin(), watchpoints.end(),
                         [&](const Watchpoint& w) { return w.id == id; });
  if (it == watchpoints.end()) {
    return Status(ErrorCode::kNotFound, "no watchpoint number " + std::to_string(id));
  }
  watchpoints.erase(it);
  return timeline_.SetWatchpoints(watchpoints).status();
}

Status DebuggerSession::DeleteWatchpointMatching(const arch::HwWatch& range) {
  for (const Watchpoint& w : timeline_.watchpoints()) {
    if (w.range.addr == range.addr && w.range.len == range.len && w.range.kind == range.kind) {
      return DeleteWatchpoint(w.id);
    }
  }
  return Status::Ok();
}

void DebuggerSession::ArmCatchpoints() {
  replayer::SyscallCatch all;
  for (const Catchpoint& c : catchpoints_) all = all.Union(c.syscalls);
  if (follow_exec_ && !all.all) {
    for (const arch::SyscallInfo& row : arch().syscalls().rows()) {
      if (row.special == arch::Special::kExecve) all.numbers.insert(row.nr);
    }
  }
  timeline_.SetSyscallCatch(all);
}

void DebuggerSession::set_follow_exec(bool follow) {
  follow_exec_ = follow;
  told_program_ = Program();
  ArmCatchpoints();
}

Status DebuggerSession::ForgetTrapsAtExec() {
  std::vector<uint64_t> addrs;
  for (const Breakpoint& b : breakpoints_) addrs.push_back(b.addr);
  breakpoints_.clear();
  std::sort(addrs.begin(), addrs.end());
  addrs.erase(std::unique(addrs.begin(), addrs.end()), addrs.end());
  for (uint64_t addr : addrs) {
    if (!Armed(addr)) RETURN_IF_ERROR(timeline_.RemoveBreakpoint(addr));
  }
  return timeline_.SetWatchpoints({}).status();
}

std::string DebuggerSession::UntoldProgram() const {
  std::string now = Program();
  return !now.empty() && now != told_program_ ? now : std::string();
}

std::string DebuggerSession::Program() const {
  // Only a session following execs asks: it is over a real replay.
  return !follow_exec_ || timeline_.exited() ? std::string() : live().exec_path();
}

bool DebuggerSession::IsExecCatch(const replayer::ReplayStop& stop) const {
  if (stop.kind != replayer::ReplayStop::Kind::kSyscallEntry &&
      stop.kind != replayer::ReplayStop::Kind::kSyscallReturn) {
    return false;
  }
  const arch::SyscallInfo* row = arch().syscalls().Find(stop.syscall_nr);
  return row && row->special == arch::Special::kExecve;
}

bool DebuggerSession::CaughtByUser(const replayer::ReplayStop& stop) const {
  return std::any_of(catchpoints_.begin(), catchpoints_.end(),
                     [&](const Catchpoint& c) { return c.syscalls.Catches(stop.syscall_nr); });
}

Expected<int> DebuggerSession::AddCatchpoint(const replayer::SyscallCatch& syscalls) {
  if (syscalls.empty()) {
    return Status(ErrorCode::kInvalidInput, "a catchpoint must catch at least one syscall");
  }
  catchpoints_.push_back(Catchpoint{next_id_++, syscalls});
  ArmCatchpoints();
  return catchpoints_.back().id;
}

Status DebuggerSession::DeleteCatchpoint(int id) {
  auto it = std::find_if(catchpoints_.begin(), catchpoints_.end(),
                         [&](const Catchpoint& c) { return c.id == id; });
  if (it == catchpoints_.end()) {
    return Status(ErrorCode::kNotFound, "no catchpoint number " + std::to_string(id));
  }
  catchpoints_.erase(it);
  ArmCatchpoints();
  return Status::Ok();
}

void DebuggerSession::SetCatchpoints(const replayer::SyscallCatch& syscalls) {
  catchpoints_.clear();
  if (!syscalls.empty()) catchpoints_.push_back(Catchpoint{next_id_++, syscalls});
  ArmCatchpoints();
}

std::vector<ThreadEntry> DebuggerSession::Threads() {
  replayer::ReplaySession& replay = live();
  std::string exe = std::filesystem::path(replay.exec_path()).filename();
  std::vector<ThreadEntry> out;
  for (const replayer::ThreadRef& t : replay.Threads()) {
    // The replaying thread carries the name the program gave it (prctl
    // PR_SET_NAME runs for real in replay).
    std::string name = t.name;
    if (name.empty()) {
      std::ifstream comm("/proc/" + t.live_tid.ToString() + "/comm");
      if (!std::getline(comm, name) || name.empty()) name = exe.substr(0, 15);
    }
    out.push_back(ThreadEntry{t.tid, name});
  }
  // After the exit (gdb stays connected in extended mode) there is none.
  if (out.empty() && !replay.exited()) {
    out.push_back(ThreadEntry{RecordedTid(replay.recorded_pid()), exe.substr(0, 15)});
  }
  return out;
}

RecordedTid DebuggerSession::CurrentThread() {
  std::vector<replayer::ThreadRef> threads = live().Threads();
  auto known = [&](RecordedTid tid) {
    return std::any_of(threads.begin(), threads.end(),
                       [&](const replayer::ThreadRef& t) { return t.tid == tid; });
  };
  if (selected_.valid() && known(selected_)) return selected_;
  // The thread of the last stop stays current until the next one, also
  // across restart and goto.
  if (last_stop_.tid > 0 && known(RecordedTid(last_stop_.tid))) return RecordedTid(last_stop_.tid);
  RecordedTid current = live().current_tid();
  // The thread that ran last may belong to another process of the tree.
  if (!known(current) && !threads.empty()) return threads.front().tid;
  return current;
}

Status DebuggerSession::SelectThread(RecordedTid tid) {
  if (!tid.valid()) return Status::Ok();
  for (const replayer::ThreadRef& t : live().Threads()) {
    if (t.tid == tid) {
      selected_ = tid;
      return Status::Ok();
    }
  }
  return Status(ErrorCode::kInvalidInput, "no thread " + tid.ToString());
}

void DebuggerSession::SetLastStop(const replayer::ReplayStop& stop) {
  selected_ = RecordedTid();  // a stop selects the thread that stopped
  last_stop_ = Stop{};
  last_stop_.replay = stop;
  last_stop_.tid = stop.tid > 0 ? stop.tid : CurrentThread().value();
  if (stop.kind == replayer::ReplayStop::Kind::kWatchpoint && stop.watch_index >= 0 &&
      static_cast<size_t>(stop.watch_index) < watchpoints().size()) {
    last_stop_.watchpoint = watchpoints()[stop.watch_index];
  }
}

Expected<replayer::ReplayStop> DebuggerSession::Move(Motion motion, int step_tid,
                                                     const std::function<bool()>& interrupted) {
  switch (motion) {
    case Motion::kContinue:
      return timeline_.Continue(interrupted);
    case Motion::kStep:
      return timeline_.Step(step_tid);
    case Motion::kReverseContinue:
      return timeline_.ReverseContinue(interrupted);
    case Motion::kReverseStep:
      return timeline_.ReverseStep();
  }
  return Status(ErrorCode::kInvalidInput, "unknown motion");
}

const Stop& DebuggerSession::Resume(Motion motion, int step_tid,
                                    const std::function<bool()>& interrupted) {
  std::string note;
  bool forward = motion == Motion::kContinue || motion == Motion::kStep;
  // Only sessions over a real replay have a diversion (and threads to ask).
  RecordedTid tid;
  if (state_.diverted()) tid = step_tid > 0 ? RecordedTid(step_tid) : CurrentThread();
  if (state_.diverted() && state_.RunsDiverted(forward, tid, &note)) {
    Expected<replayer::ReplayStop> stop =
        state_.RunDiverted(tid, motion == Motion::kStep, interrupted, &note);
    if (stop.ok()) {
      SetLastStop(*stop);
    } else {
      replayer::ReplayStop here;
      here.tid = tid.value();
      SetLastStop(here);
      last_stop_.error = stop.status();
    }
  } else {
    ResumeReplay(motion, step_tid, interrupted);
  }
  last_stop_.note = note;
  return last_stop_;
}

const Stop& DebuggerSession::ResumeReplay(Motion motion, int step_tid,
                                          const std::function<bool()>& interrupted) {
  using Kind = replayer::ReplayStop::Kind;
  if (std::optional<HeldStop> held = std::exchange(held_, std::nullopt);
      held && held->motion == motion) {
    SetLastStop(held->stop);
    return last_stop_;
  }
  Expected<replayer::ReplayStop> stop = Move(motion, step_tid, interrupted);
  // After restart or goto a front end still shows the point it moved to
  // as a stop, so at a breakpoint there continuing does not step over it
  // first, as it would after a hit: that breakpoint is not a new hit.
  std::optional<replayer::Position> moved_to = std::exchange(moved_to_, std::nullopt);
  if (moved_to && motion == Motion::kContinue && stop.ok() && stop->kind == Kind::kBreakpoint &&
      timeline_.Current().SameState(*moved_to)) {
    stop = timeline_.Continue(interrupted);
  }
  // Following execs: forward, the exec's return is where the new program
  // starts; backward, its entry is the old program's last point. The other
  // side of each exec, and a failed exec, are passed by. A step crosses an
  // exec when it steps over one; gdb then goes on as after any exec it does
  // not catch (`catch exec`): it continues in the step's direction.
  std::string crossed;
  bool step = motion == Motion::kStep || motion == Motion::kReverseStep;
  while (follow_exec_ && stop.ok() && (step || IsExecCatch(*stop))) {
    if (std::string now = Program(); !now.empty() && now != told_program_) {
      crossed = now;
      break;
    }
    if (step || CaughtByUser(*stop)) break;
    stop = Move(motion, step_tid, interrupted);
  }
  if (!stop.ok()) {
    replayer::ReplayStop here;
    here.tid = timeline_.Current().tid;
    SetLastStop(here);
    last_stop_.error = stop.status();
    return last_stop_;
  }
  SetLastStop(*stop);
  if (!crossed.empty()) {
    // The exec took the other program's breakpoints and watchpoints with
    // it: gdb counts them as gone and inserts its new ones.
    if (Status s = ForgetTrapsAtExec(); !s.ok()) last_stop_.error = s;
    if (!step && CaughtByUser(*stop)) held_ = HeldStop{motion, *stop};
    last_stop_.exec_path = crossed;
    told_program_ = crossed;
  }
  return last_stop_;
}

WhenInfo DebuggerSession::When() {
  WhenInfo when;
  when.event = timeline_.event_number();
  when.event_count = timeline_.event_count();
  when.exited = timeline_.exited();
  if (!when.exited) {
    replayer::Position p = timeline_.Current();
    when.pc = p.pc;
    when.boundary = p.boundary;
    when.buffered = live().BufferedSyscallsDone();
  }
  return when;
}

Expected<int> DebuggerSession::TakeCheckpoint(const std::string& name) {
  return timeline_.TakeCheckpoint(name);
}

Status DebuggerSession::Restart(const std::string& id_or_name) {
  state_.Drop();
  RETURN_IF_ERROR(timeline_.RestoreCheckpoint(id_or_name));
  held_.reset();
  if (!timeline_.exited()) moved_to_ = timeline_.Current();
  return Status::Ok();
}

Status DebuggerSession::Goto(uint64_t event, const std::function<bool()>& interrupted) {
  state_.Drop();
  RETURN_IF_ERROR(timeline_.GotoEvent(event, interrupted));
  held_.reset();
  if (!timeline_.exited()) moved_to_ = timeline_.Current();
  return Status::Ok();
}

Status DebuggerSession::GotoStart() {
  state_.Drop();
  RETURN_IF_ERROR(timeline_.GotoStart());
  held_.reset();
  moved_to_.reset();
  selected_ = RecordedTid();
  last_stop_ = Stop{};
  last_stop_.tid = CurrentThread().value();
  return Status::Ok();
}

Expected<std::vector<uint8_t>> DebuggerSession::StoppedSignalInfo(int tid) const {
  RETURN_IF_ERROR(CheckLive());
  // The recorded siginfo is what the kernel gave the program; the replay's
  // own may differ for a signal replay injects (e.g. si_pid of a kill).
  const trace::SignalEvent* sig = live().last_signal();
  bool stopped_for_it = last_stop_.replay.kind == replayer::ReplayStop::Kind::kSignal &&
                        last_stop_.tid == tid && sig != nullptr &&
                        sig->signo == last_stop_.replay.signo;
  if (!stopped_for_it) {
    return Status(ErrorCode::kNotFound,
                  "thread " + std::to_string(tid) + " did not stop for a recorded signal");
  }
  return sig->siginfo;
}

Expected<std::string> DebuggerSession::RecordedMaps() const {
  RETURN_IF_ERROR(CheckLive());
  replayer::ReplaySession& replay = live();
  std::string proc = "/proc/" + replay.live_tid().ToString();
  std::ifstream in(proc + "/maps");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    return Status(ErrorCode::kError, "cannot read " + proc + "/maps of the replayed process");
  }
  MapsTranslation translation;
  for (const auto& [recorded, copy] : replay.mapped_files()) {
    translation.recorded_path_of[copy] = recorded;
    if (std::filesystem::path(recorded).filename() == RWD_SB_LIBRARY_NAME) {
      translation.hidden_paths.insert(copy);
    }
  }
  translation.hidden.emplace_back(RWD_SB_PAGE, RWD_SB_END);
  // The executable runs from a staged copy (replayer/exec_staging.h).
  std::error_code ec;
  std::string exe = std::filesystem::read_symlink(proc + "/exe", ec).string();
  if (!ec) translation.recorded_path_of[exe] = replay.exec_path();
  for (const ProbePages::Area& area : replay.probe_areas()) {
    translation.hidden.emplace_back(area.start, area.end);
  }
  return debugger::RecordedMaps(text, translation);
}

}  // namespace rwd::debugger
