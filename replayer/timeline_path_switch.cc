// Timeline: the catch set and the path the syscall buffer library takes.
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
  if (MayFollowPathSwitch(target)) {
    Expected<std::optional<Position>> before = PredecessorFrom(target, true);
    // The target's previous instruction may come before the switch.
    if (before.ok() && *before) return before;
  }
  return PredecessorFrom(target, false);
}

}  // namespace rwd::replayer
