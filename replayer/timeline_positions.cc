// Timeline: reaching a position and the one before it (Goto, Predecessor
// and the search behind it: single steps from the previous visit of the
// position's instruction), and the catch set, which decides the path the
// syscall buffer library takes and so the stack bytes a position holds.
//
// While a debugger catches a syscall the library may have run, the library
// leaves every buffered call to the replayer (rwd_sb_header::expand) and
// reaches the caught ones' stops; otherwise it replays them itself. The two
// paths leave different bytes on the stack below the calls, and a state is
// its registers and those bytes (Position::SameState). A catch set changed
// in the middle of an event's batch makes the live execution's path through
// that batch half one, half the other: a re-execution of the event from
// its start takes one path throughout and never reaches the states the
// live execution reached after the change ("could not reach the position
// ... its event passed"). So a change there keeps a copy of the live
// execution (path_switch_), and the states of that event after it are
// reached from the copy.
#include "replayer/timeline.h"

#include "replayer/timeline_limits.h"

namespace rwd::replayer {

namespace {

// The latest state of `target`'s thread before position `index` of `trail`:
// other threads may have run in between. Not one inside rewind's own code
// (a trail starts there at the boundary of an event the library's traced
// path made): the step into that code is in an earlier stretch.
std::optional<Position> SameThreadBefore(const std::vector<Position>& trail, size_t index,
                                         pid_t tid) {
  for (size_t j = index; j-- > 0;) {
    if (trail[j].tid == tid && !trail[j].in_library) return trail[j];
  }
  return std::nullopt;
}

}  // namespace

void Timeline::SetSyscallCatch(const SyscallCatch& which) {
  bool changed = !(which == syscall_catch_);
  syscall_catch_ = which;
  if (live_->exited()) return;
  live_->set_syscall_catch(which);
  if (!changed) return;
  Position here = live_->Here();
  // At a boundary the batch has not begun: re-execution to there already
  // takes the new path (restored executions get the live catch set).
  if (here.boundary || !live_->CanFork()) return;
  Expected<std::unique_ptr<Execution>> copy = live_->Fork();
  if (!copy.ok()) {
    path_switch_.reset();
    return;
  }
  CheckpointInfo info;
  info.event = here.event;
  info.boundary = false;
  path_switch_.emplace(Checkpoint{info, Frozen{std::move(here), std::move(*copy)}});
}

bool Timeline::MayFollowPathSwitch(const Position& target) const {
  // An event's boundary comes before every other point of it.
  return path_switch_ && target.event == path_switch_->info.event && !target.boundary &&
         !target.SameState(path_switch_->value.position);
}

Status Timeline::Goto(const Position& target) {
  // A target before the switch is not reached from it: it passes.
  if (MayFollowPathSwitch(target) && GotoFrom(target, true).ok()) return Status::Ok();
  return GotoFrom(target, false);
}

Expected<std::optional<Position>> Timeline::Predecessor(const Position& target) {
  if (target.in_library) {
    // That code is one syscall instruction to the program: what comes
    // before a point inside it is what comes before the point after it.
    ASSIGN_OR_RETURN(std::optional<Position> after, VisibleAfter(target));
    if (after) return Predecessor(*after);
  }
  if (!MayFollowPathSwitch(target)) {
    ASSIGN_OR_RETURN(std::optional<Position> call, CallBefore(target));
    if (call) return call;
  }
  if (MayFollowPathSwitch(target)) {
    Expected<std::optional<Position>> before = PredecessorFrom(target, true);
    // The target's previous instruction may come before the switch.
    if (before.ok() && *before) return before;
  }
  return PredecessorFrom(target, false);
}

Expected<std::optional<Position>> Timeline::CallBefore(const Position& target) {
  using Result = std::optional<Position>;
  if (target.boundary || target.syscall_entry || target.buffered_return || target.in_library ||
      live_->exited() || !live_->Here().SameState(target)) {
    return Result();
  }
  for (const Position& caller : live_->StatesCallingHere()) {
    ASSIGN_OR_RETURN(std::unique_ptr<Execution> s, Restore(NearestBefore(target.event)));
    RETURN_IF_ERROR(RunToEvent(*s, target.event));
    for (int arrival = 0; arrival < kMaxCallerArrivals; ++arrival) {
      // The event passed first: the target was not reached from there.
      ASSIGN_OR_RETURN(bool arrived, RunToRegisters(*s, caller));
      if (!arrived) break;
      Position at_call = s->Here();
      std::unique_ptr<Execution> copy;
      if (s->CanFork()) {
        ASSIGN_OR_RETURN(copy, s->Fork());
      }
      ASSIGN_OR_RETURN(ReplayStop stop, s->StepThread(target.tid));
      if (IsEnd(stop) || s->event_number() > target.event) break;
      if (!s->Here().SameState(target)) continue;
      // ReverseStep then makes the copy live instead of re-executing.
      trail_ = {at_call, target};
      trail_start_ = std::move(copy);
      trail_after_path_switch_ = false;
      return Result(std::move(at_call));
    }
  }
  return Result();
}

Expected<std::optional<Position>> Timeline::FromInsnBefore(const Position& target) {
  using Result = std::optional<Position>;
  if (target.boundary || target.syscall_entry || target.buffered_return || target.in_library ||
      live_->exited() || !live_->Here().SameState(target)) {
    return Result();
  }
  std::optional<uint64_t> before = live_->InsnFallingHere();
  if (!before) return Result();
  const Checkpoint& cp = NearestBefore(target.event);
  // Its arrivals up to the target, found by its probe (or breakpoint).
  ASSIGN_OR_RETURN(std::unique_ptr<Execution> s, Restore(cp));
  RETURN_IF_ERROR(RunToEvent(*s, target.event));
  RETURN_IF_ERROR(s->InsertBreakpoint(*before));
  ASSIGN_OR_RETURN(bool probed, s->ArmStateProbe(target, {}));
  if (!probed) RETURN_IF_ERROR(s->InsertBreakpoint(target.pc));
  uint64_t arrivals = 0;
  bool reached = false;
  for (uint64_t traps = 0; traps < kMaxCallerTraps && !reached; ++traps) {
    ASSIGN_OR_RETURN(ReplayStop stop, s->Continue());
    if (IsEnd(stop) || s->event_number() > target.event) break;
    if (stop.kind != ReplayStop::Kind::kBreakpoint) continue;
    if (stop.addr == *before) {
      arrivals += s->Here().tid == target.tid;
    } else if (stop.addr == target.pc) {
      reached = s->Here().SameState(target);
    }
  }
  if (!reached || arrivals == 0) return Result();
  // The last of them, and steps from there.
  ASSIGN_OR_RETURN(s, Restore(cp));
  RETURN_IF_ERROR(RunToEvent(*s, target.event));
  RETURN_IF_ERROR(s->InsertBreakpoint(*before));
  for (uint64_t seen = 0; seen < arrivals;) {
    ASSIGN_OR_RETURN(ReplayStop stop, s->Continue());
    if (IsEnd(stop) || s->event_number() > target.event) return Result();
    if (stop.kind == ReplayStop::Kind::kBreakpoint && stop.addr == *before) {
      seen += s->Here().tid == target.tid;
    }
  }
  RETURN_IF_ERROR(s->RemoveBreakpoint(*before));
  std::unique_ptr<Execution> trail_start;
  if (s->CanFork()) {
    ASSIGN_OR_RETURN(trail_start, s->Fork());
  }
  std::vector<Position> trail{s->Here()};
  for (uint64_t steps = 0; steps < kMaxPredecessorSteps; ++steps) {
    ASSIGN_OR_RETURN(ReplayStop stop, s->Step());
    trail.push_back(s->Here());
    if (trail.back().SameState(target)) {
      trail_ = std::move(trail);
      trail_start_ = std::move(trail_start);
      trail_after_path_switch_ = false;
      return SameThreadBefore(trail_, trail_.size() - 1, target.tid);
    }
    if (IsEnd(stop) || trail.back().event > target.event || trail.size() > kMaxTrail) break;
  }
  return Result();
}

Expected<bool> Timeline::RunToRegisters(Execution& s, const Position& state) {
  ASSIGN_OR_RETURN(bool armed, s.ArmRegisterProbe(state));
  if (armed) return RunToProbeHit(s, state, [] { return true; }).ok();
  // No probe fits there (a call cannot be displaced): a trap on each
  // arrival, as many as a few seconds allow.
  RETURN_IF_ERROR(s.InsertBreakpoint(state.pc));
  bool arrived = false;
  for (uint64_t traps = 0; traps < kMaxCallerTraps && !arrived; ++traps) {
    ASSIGN_OR_RETURN(ReplayStop stop, s.Continue());
    if (IsEnd(stop) || s.event_number() > state.event) break;
    if (stop.kind != ReplayStop::Kind::kBreakpoint || stop.addr != state.pc) continue;
    Position here = s.Here();
    arrived = here.tid == state.tid && here.regs == state.regs;
  }
  RETURN_IF_ERROR(s.RemoveBreakpoint(state.pc));
  return arrived;
}

Expected<std::optional<Position>> Timeline::VisibleAfter(const Position& target) {
  using Result = std::optional<Position>;
  std::unique_ptr<Execution> s;
  if (live_->Here().SameState(target) && live_->CanFork()) {
    ASSIGN_OR_RETURN(s, live_->Fork());
  } else {
    ASSIGN_OR_RETURN(s, Restore(NearestBefore(target.event)));
    RETURN_IF_ERROR(RunToEvent(*s, target.event));
    RETURN_IF_ERROR(RunToState(*s, target));
  }
  s->set_echo_from_event(UINT64_MAX);
  ASSIGN_OR_RETURN(ReplayStop stop, s->StepThread(target.tid));
  Position after = s->Here();
  if (IsEnd(stop) || after.tid != target.tid || after.in_library) return Result();
  return Result(std::move(after));
}


Expected<std::optional<Position>> Timeline::PredecessorFrom(const Position& target,
                                                            bool from_switch) {
  using Result = std::optional<Position>;
  for (size_t i = 1; i < trail_.size(); ++i) {
    if (!trail_[i].SameState(target)) continue;
    if (Result before = SameThreadBefore(trail_, i, target.tid)) return before;
    break;
  }
  if (target.SameState(start_)) return Result();
  uint64_t base_event = target.event;
  while (true) {
    const Checkpoint& cp =
        from_switch && base_event == target.event ? *path_switch_ : NearestBefore(base_event);
    bool after_switch = path_switch_ && &cp == &*path_switch_;
    ASSIGN_OR_RETURN(std::unique_ptr<Execution> s, Restore(cp));
    RETURN_IF_ERROR(RunToEvent(*s, base_event));
    if (s->Here().SameState(target)) {
      // The target is where this event's replay left the thread: the
      // instruction before it belongs to the previous stretch.
      if (base_event <= start_.event) return Result();
      --base_event;
      continue;
    }
    // Single-step only from the previous visit of the target's instruction
    // (one loop iteration back), not from the start of the stretch.
    // (A syscall's entry is never a visit of its pc: that is past the
    // instruction. Single-step to the syscall's return instead.)
    bool long_stretch = false;  // the visit was found by probes: many passes back
    if (base_event == target.event && !target.syscall_entry) {
      std::unique_ptr<Execution> at_visit;
      ASSIGN_OR_RETURN(std::optional<Position> visit,
                       LastVisitBefore(cp, base_event, target, &at_visit));
      if (at_visit) {
        s = std::move(at_visit);
        long_stretch = true;
      } else if (visit) {
        RETURN_IF_ERROR(RunToState(*s, *visit));
      }
    }
    // After a long loop, a copy where the trail starts: any state on it is
    // then a fork and a few steps away instead of a re-execution of the
    // loop. (Only a speed-up: without one, states are reached from
    // checkpoints.)
    std::unique_ptr<Execution> trail_start;
    if (long_stretch && s->CanFork()) {
      Expected<std::unique_ptr<Execution>> copy = s->Fork();
      if (copy.ok()) trail_start = std::move(*copy);
    }
    std::vector<Position> trail{s->Here()};
    bool found = false;
    for (uint64_t steps = 0; steps < kMaxPredecessorSteps && !found; ++steps) {
      if (steps == kQuickPredecessorSteps && base_event == target.event && !from_switch) {
        ASSIGN_OR_RETURN(std::optional<Position> before, FromInsnBefore(target));
        if (before) return before;
      }
      ASSIGN_OR_RETURN(ReplayStop stop, s->Step());
      Position next = s->Here();
      // A step runs a syscall through: the one whose entry is the target
      // returns to the target's pc one event later.
      found = next.SameState(target) || (target.syscall_entry && next.event == target.event + 1 &&
                                         next.tid == target.tid && next.pc == target.pc);
      if (!found && next.event > target.event) return Lost(target, "its event passed");
      if (!found && IsEnd(stop)) return Lost(target, "the replay ended first");
      trail.push_back(std::move(next));
      if (trail.size() > kMaxTrail) {
        trail.erase(trail.begin(), trail.begin() + kMaxTrail / 2);
        trail_start.reset();
      }
    }
    if (!found) {
      return TooFar(target, "it is more than " + std::to_string(kMaxPredecessorSteps) +
                                " instructions after the previous visit of its instruction");
    }
    trail_ = std::move(trail);
    trail_start_ = std::move(trail_start);
    trail_after_path_switch_ = after_switch;
    if (Result before = SameThreadBefore(trail_, trail_.size() - 1, target.tid)) return before;
    // Only other threads ran in this stretch before the target: its
    // thread's previous instruction is in an earlier one.
    if (base_event <= start_.event) return Result();
    --base_event;
  }
}

}  // namespace rwd::replayer
