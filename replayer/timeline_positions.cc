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
  if (MayFollowPathSwitch(target)) {
    Expected<std::optional<Position>> before = PredecessorFrom(target, true);
    // The target's previous instruction may come before the switch.
    if (before.ok() && *before) return before;
  }
  return PredecessorFrom(target, false);
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
