#include "replayer/timeline.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>

#include "core/clock.h"
#include "replayer/replay_progress.h"
#include "replayer/snapshot_opener.h"
#include "replayer/timeline_limits.h"

namespace rwd::replayer {

namespace {

// A trap at a position's pc, in the position's program only: a run from a
// checkpoint before an exec must not write it into the old program's code,
// where the same address is another instruction (or its middle).
Status InsertTrapAt(Execution& s, const Position& p) {
  return s.InsertBreakpointIn(p.program, p.pc);
}

// A visit search counts at most this many breakpoint hits (~4 us each).
constexpr uint64_t kMaxVisitCount = 200000;
// How far past an instruction that takes no probe the next one that does is
// looked for (a loop's back-edge jump, a call).
constexpr int kMaxAnchorSteps = 32;
// reverse-continue inside a loop scans at most this many of its last
// passes with traps armed before scanning from a checkpoint.
constexpr uint64_t kMaxPassesScanned = 4096;

bool IsCatch(const ReplayStop& stop) {
  return stop.kind == ReplayStop::Kind::kSyscallEntry ||
         stop.kind == ReplayStop::Kind::kSyscallReturn;
}

Status BeyondTheEnd(uint64_t event, uint64_t event_count) {
  return Status(ErrorCode::kInvalidInput, "event " + std::to_string(event) +
                                              " is beyond the end of the trace (" +
                                              std::to_string(event_count) + " events)");
}

}  // namespace

Expected<std::unique_ptr<Timeline>> Timeline::Open(const TimelineOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<Timeline> t,
                   OpenOver(ReplayExecution::Opener(options.replay), options));
  auto opener = std::make_shared<SnapshotOpener>(options.replay);
  // Bookmarks are reachable by re-execution too, with snapshots unused.
  Expected<std::vector<TraceBookmark>> bookmarks = opener->Bookmarks();
  if (bookmarks.ok()) {
    t->bookmarks_ = std::move(*bookmarks);
  } else {
    fprintf(stderr, "rewind: the trace's named checkpoints are not known: %s\n",
            bookmarks.status().message().c_str());
  }
  if (options.use_snapshots) {
    t->open_snapshot_ = [opener](uint64_t after, uint64_t upto) {
      return opener->OpenLatest(after, upto);
    };
  }
  return t;
}

const Timeline::Checkpoint& Timeline::NearestBefore(uint64_t event) {
  return WithSnapshot(checkpoints_.LatestBefore(event), event);
}

const Timeline::Checkpoint* Timeline::LatestBelow(const Position& upper) {
  const Checkpoint* best = nullptr;
  for (const Checkpoint& cp : checkpoints_.entries()) {
    if (cp.info.event < upper.event ||
        (cp.info.event == upper.event && cp.info.boundary && !upper.boundary)) {
      best = &cp;
    }
  }
  if (!best) return nullptr;
  // A snapshot at upper's own event is below it only if upper is past the boundary.
  return &WithSnapshot(*best, upper.boundary ? upper.event - 1 : upper.event);
}

const Timeline::Checkpoint& Timeline::WithSnapshot(const Checkpoint& cp, uint64_t upto) {
  if (!open_snapshot_ || upto <= cp.info.event) return cp;
  Expected<std::unique_ptr<Execution>> s = open_snapshot_(cp.info.event, upto);
  if (!s.ok()) {
    fprintf(stderr, "rewind: the trace's snapshots are not used: %s\n",
            s.status().message().c_str());
    open_snapshot_ = nullptr;
    return cp;
  }
  if (!*s) return cp;
  ++stats_.snapshots_opened;
  Position position = (*s)->Here();
  Frozen frozen{position, nullptr, nullptr, nullptr};
  if ((*s)->CanFork()) {
    frozen.execution = std::move(*s);
  } else {
    frozen.unused = std::move(*s);
    frozen.reopen = [open = open_snapshot_, event = position.event,
                     this]() -> Expected<std::unique_ptr<Execution>> {
      ASSIGN_OR_RETURN(std::unique_ptr<Execution> again, open(event - 1, event));
      if (!again)
        return Error("the snapshots at event " + std::to_string(event) + " no longer restore");
      ++stats_.snapshots_opened;
      return again;
    };
  }
  // Not automatic: thinning must not drop what took a restore to make.
  int id = checkpoints_.Add(position.event, "snapshot@" + std::to_string(position.event),
                            /*automatic=*/false, /*boundary=*/true, std::move(frozen));
  return *checkpoints_.Find(std::to_string(id));
}

Expected<std::unique_ptr<Timeline>> Timeline::OpenOver(ExecutionOpener open,
                                                       const TimelineOptions& options) {
  std::unique_ptr<Timeline> t(new Timeline(std::move(open), options));
  ASSIGN_OR_RETURN(t->live_, t->open_(/*echo=*/true));
  // History starts at the program's first instruction, after its exec.
  RETURN_IF_ERROR(t->RunToEvent(*t->live_, options.start_event));
  t->start_ = t->live_->Here();
  if (t->live_->CanFork()) {
    RETURN_IF_ERROR(t->AddCheckpoint(*t->live_, "start", true).status());
  } else {
    // Several processes run already: the start is reached again by
    // replaying from the beginning of the trace.
    t->checkpoints_.Add(t->start_.event, "start", true, t->start_.boundary,
                        Frozen{t->start_, nullptr});
  }
  t->high_water_event_ = t->live_->event_number();
  t->live_->set_echo_from_event(t->high_water_event_);
  return t;
}

ReplaySession& Timeline::live() {
  // gdbserver reads session state Execution does not offer (threads,
  // memory, files); only Open() makes the timelines it is given.
  auto* replay = dynamic_cast<ReplayExecution*>(live_.get());
  if (!replay) {
    fprintf(stderr, "rewind: internal error: live() of a timeline not over a replay\n");
    abort();
  }
  return replay->session();
}

Position Timeline::Current() { return live_->Here(); }

bool Timeline::AtHistoryStart() { return !live_->exited() && Current().SameState(start_); }

ReplayStop Timeline::HistoryStartStop() {
  ReplayStop stop;
  stop.kind = ReplayStop::Kind::kHistoryStart;
  return stop;
}

Status Timeline::ArmDebuggerTraps(Execution& s) {
  s.set_syscall_catch(syscall_catch_);
  for (const auto& [addr, program] : breakpoints_) {
    RETURN_IF_ERROR(s.InsertBreakpointIn(program, addr));
  }
  if (!watchpoints_.empty())
    RETURN_IF_ERROR(s.SetWatchpoints(WatchedRanges(watchpoints_)).status());
  return Status::Ok();
}

Status Timeline::DisarmDebuggerTraps(Execution& s) {
  s.set_syscall_catch({});
  for (const auto& [addr, program] : breakpoints_) RETURN_IF_ERROR(s.RemoveBreakpoint(addr));
  if (!watchpoints_.empty()) RETURN_IF_ERROR(s.SetWatchpoints({}).status());
  return Status::Ok();
}

Status Timeline::InsertBreakpoint(uint64_t addr, const std::string& program) {
  if (!live_->exited()) {
    RETURN_IF_ERROR(live_->InsertBreakpointIn(program, addr));
  }
  breakpoints_[addr] = program;
  return Status::Ok();
}

Status Timeline::RemoveBreakpoint(uint64_t addr) {
  breakpoints_.erase(addr);
  return live_->exited() ? Status::Ok() : live_->RemoveBreakpoint(addr);
}

Expected<bool> Timeline::SetWatchpoints(const std::vector<Watchpoint>& watchpoints) {
  if (!live_->exited()) {
    ASSIGN_OR_RETURN(bool ok, live_->SetWatchpoints(WatchedRanges(watchpoints)));
    if (!ok) return false;
  }
  watchpoints_ = watchpoints;
  return true;
}

Status Timeline::RunToEvent(Execution& s, uint64_t event, const InterruptPoll& interrupted) {
  if (s.event_number() >= event) return Status::Ok();
  if (event > s.event_count()) return BeyondTheEnd(event, s.event_count());
  bool stopped_early = false;
  uint64_t from = s.event_number();
  ReplayProgress progress([&] {
    uint64_t at = s.event_number();
    return "replaying to event " + std::to_string(event) + ": at event " + std::to_string(at) +
           " (" + std::to_string((at - from) * 100 / (event - from)) + "%)" +
           (interrupted ? " (interrupt to stop here)" : "");
  });
  s.set_boundary_stop([&](uint64_t e) {
    if (e >= event) return true;
    stopped_early = progress.Tick(interrupted);
    return stopped_early;
  });
  s.set_interrupt_poll(interrupted);
  Status status;
  while (s.event_number() < event && !stopped_early) {
    auto stop = s.Continue();
    if (!stop.ok()) {
      status = stop.status();
      break;
    }
    if (stop->kind == ReplayStop::Kind::kInterrupted) break;
    if (IsEnd(*stop) && s.event_number() < event) {
      status = BeyondTheEnd(event, s.event_count());
      break;
    }
  }
  s.set_boundary_stop(nullptr);
  s.set_interrupt_poll(nullptr);
  return status;
}

Expected<int> Timeline::AddCheckpoint(Execution& s, const std::string& name, bool automatic) {
  ASSIGN_OR_RETURN(std::unique_ptr<Execution> copy, s.Fork());
  Position position = s.Here();
  ++stats_.checkpoints_taken;
  return checkpoints_.Add(position.event, name, automatic, position.boundary,
                          Frozen{position, std::move(copy)});
}

Expected<std::unique_ptr<Execution>> Timeline::Restore(const Checkpoint& cp) {
  std::unique_ptr<Execution> s;
  if (cp.value.execution) {
    ASSIGN_OR_RETURN(s, cp.value.execution->Fork());
  } else if (cp.value.reopen) {
    if (cp.value.unused) {
      s = std::move(cp.value.unused);
    } else {
      ASSIGN_OR_RETURN(s, cp.value.reopen());
    }
    s->set_echo_from_event(UINT64_MAX);
  } else {
    // It may become the live replay: able to echo, silent until then.
    ASSIGN_OR_RETURN(s, open_(/*echo=*/true));
    s->set_echo_from_event(UINT64_MAX);
    RETURN_IF_ERROR(RunToEvent(*s, cp.value.position.event));
    RETURN_IF_ERROR(RunToState(*s, cp.value.position));
  }
  // The live catch set decides the library's path (timeline_positions.cc).
  s->set_syscall_catch(syscall_catch_);
  ++stats_.restores;
  stats_.last_restore_event = cp.info.event;
  if (checkpoints_.IsFirst(cp)) ++stats_.restores_from_start;
  s->set_echo_from_event(UINT64_MAX);
  return s;
}

Status Timeline::MakeLive(std::unique_ptr<Execution> session, bool after_path_switch) {
  if (!after_path_switch) path_switch_.reset();
  live_ = std::move(session);
  live_->set_echo_from_event(high_water_event_);
  return ArmDebuggerTraps(*live_);
}

Expected<ReplayStop> Timeline::Continue(const InterruptPoll& poll) {
  // The poll consumes the interrupt it reports; remember it.
  bool latched = false;
  InterruptPoll interrupted = [&]() {
    if (!latched && poll && poll()) latched = true;
    return latched;
  };
  // Checkpoint spacing counts replay time only, not time spent stopped in
  // the debugger. A clock as fine as the interval a user may ask for
  // (--checkpoint-interval 1): CoarseNow ticks every few milliseconds.
  auto started = std::chrono::steady_clock::now();
  auto due = [&]() {
    return replay_time_since_checkpoint_ + (std::chrono::steady_clock::now() - started) >=
           options_.checkpoint_interval;
  };
  live_->set_boundary_stop([&](uint64_t) { return interrupted() || due(); });
  live_->set_interrupt_poll(interrupted);
  Expected<ReplayStop> result = Status(ErrorCode::kError, "not run");
  while (true) {
    result = live_->Continue();
    high_water_event_ = std::max(high_water_event_, live_->event_number());
    live_->set_echo_from_event(high_water_event_);
    if (!result.ok() || result->kind != ReplayStop::Kind::kEventBoundary) break;
    if (interrupted()) {
      result = ReplayStop::Of(ReplayStop::Kind::kInterrupted);
      break;
    }
    if (due() && live_->CanFork()) {
      // A failed automatic checkpoint only costs speed later (the
      // injection leaves the process as it was), but say so.
      if (Expected<int> added = AddCheckpoint(*live_, "", true); !added.ok()) {
        fprintf(stderr, "rewind: no checkpoint at event %llu: %s\n",
                static_cast<unsigned long long>(live_->event_number()),
                added.status().message().c_str());
      }
      replay_time_since_checkpoint_ = {};
      started = std::chrono::steady_clock::now();
    }
  }
  replay_time_since_checkpoint_ += std::chrono::steady_clock::now() - started;
  live_->set_boundary_stop(nullptr);
  live_->set_interrupt_poll(nullptr);
  return result;
}

Expected<ReplayStop> Timeline::Step(pid_t tid) {
  ASSIGN_OR_RETURN(ReplayStop stop, tid > 0 ? live_->StepThread(tid) : live_->Step());
  high_water_event_ = std::max(high_water_event_, live_->event_number());
  live_->set_echo_from_event(high_water_event_);
  return stop;
}

Status Timeline::GotoFrom(const Position& where, bool from_switch) {
  // `where` may be a checkpoint's, which NearestBefore can move.
  Position target = where;
  const Checkpoint& cp = from_switch ? *path_switch_ : NearestBefore(target.event);
  bool after_switch = path_switch_ && &cp == &*path_switch_;
  ASSIGN_OR_RETURN(std::unique_ptr<Execution> s, Restore(cp));
  RETURN_IF_ERROR(RunToEvent(*s, target.event));
  RETURN_IF_ERROR(RunToState(*s, target));
  return MakeLive(std::move(s), after_switch);
}

Expected<Timeline::Scan> Timeline::ScanForLastHit(const Checkpoint& cp, const Position& upper,
                                                  const InterruptPoll& interrupted) {
  ASSIGN_OR_RETURN(std::unique_ptr<Execution> s, Restore(cp));
  return ScanFrom(std::move(s), cp.info.event, upper, interrupted);
}

Expected<Timeline::Scan> Timeline::ScanFrom(std::unique_ptr<Execution> s, uint64_t from_event,
                                            const Position& upper,
                                            const InterruptPoll& interrupted) {
  RETURN_IF_ERROR(ArmDebuggerTraps(*s));
  bool upper_trap = !upper.boundary && !breakpoints_.count(upper.pc);
  if (!upper.boundary) RETURN_IF_ERROR(InsertTrapAt(*s, upper));
  s->set_boundary_stop(
      [&upper](uint64_t e) { return e > upper.event || (upper.boundary && e >= upper.event); });
  // Long stretches without events (the session's own poll only fires in
  // waits of 100 ms or more) are interruptible between traps too.
  s->set_interrupt_poll(interrupted);
  Scan scan;
  uint64_t hits = 0;
  ReplayProgress progress([&] {
    return "reverse-continue is re-executing events " + std::to_string(from_event) + " to " +
           std::to_string(upper.event) + ": " + std::to_string(hits) +
           " breakpoint hits so far (interrupt to stop here)";
  });
  while (true) {
    ASSIGN_OR_RETURN(ReplayStop stop, s->Continue());
    Position here = s->Here();
    if (IsEnd(stop)) break;
    if (upper.boundary ? here.event >= upper.event : here.event > upper.event) break;
    if (!upper.boundary && here.SameState(upper)) break;
    if (stop.kind == ReplayStop::Kind::kWatchpoint || IsCatch(stop) ||
        (stop.kind == ReplayStop::Kind::kBreakpoint && breakpoints_.count(stop.addr))) {
      scan.last = Hit{here, stop};
      ++hits;
    }
    if (stop.kind == ReplayStop::Kind::kInterrupted || progress.Tick(interrupted)) {
      // Stop where the re-execution got to, a point before `upper`.
      s->set_interrupt_poll(nullptr);
      s->set_boundary_stop(nullptr);
      if (upper_trap) RETURN_IF_ERROR(s->RemoveBreakpoint(upper.pc));
      scan.interrupted = std::move(s);
      return scan;
    }
  }
  return scan;
}

Expected<ReplayStop> Timeline::ReverseContinue(const InterruptPoll& poll) {
  if (live_->exited()) {
    return Status(ErrorCode::kInvalidInput, "the process has exited; restart to go back");
  }
  // The poll consumes the interrupt it reports; remember it.
  bool latched = false;
  InterruptPoll interrupted = [&]() {
    if (!latched && poll && poll()) latched = true;
    return latched;
  };
  Position upper = Current();
  trail_.clear();
  trail_start_.reset();
  ASSIGN_OR_RETURN(std::optional<ReplayStop> in_loop, ReverseContinueInLoop(upper, interrupted));
  if (in_loop) return *in_loop;
  while (const Checkpoint* below = LatestBelow(upper)) {
    const Checkpoint& cp = *below;
    ASSIGN_OR_RETURN(Scan scan, ScanForLastHit(cp, upper, interrupted));
    if (scan.interrupted) {
      RETURN_IF_ERROR(MakeLive(std::move(scan.interrupted)));
      return ReplayStop::Of(ReplayStop::Kind::kInterrupted);
    }
    if (scan.last) {
      ASSIGN_OR_RETURN(Position target, StopPosition(*scan.last));
      RETURN_IF_ERROR(Goto(target));
      return scan.last->stop;
    }
    if (interrupted()) {
      RETURN_IF_ERROR(Goto(cp.value.position));
      return ReplayStop::Of(ReplayStop::Kind::kInterrupted);
    }
    upper = cp.value.position;
  }
  RETURN_IF_ERROR(Goto(start_));
  return HistoryStartStop();
}

Expected<Position> Timeline::StopPosition(const Hit& hit) {
  if (hit.stop.kind != ReplayStop::Kind::kWatchpoint) return hit.position;
  // Going backwards, a watchpoint triggers before the write: stop on the
  // writing instruction, so gdb shows the value it overwrote.
  ASSIGN_OR_RETURN(std::optional<Position> before, Predecessor(hit.position));
  return before ? *before : hit.position;
}

Expected<std::optional<ReplayStop>> Timeline::ReverseContinueInLoop(
    const Position& upper, const InterruptPoll& interrupted) {
  using Result = std::optional<ReplayStop>;
  if (upper.boundary || upper.syscall_entry || !live_->HasProbes()) return Result();
  const Checkpoint& cp = NearestBefore(upper.event);
  // The last few passes, then more (a watchpoint whose writes keep its
  // value shows no trap in a pass): each found by probes at native speed
  // however many passes came before, and scanned with the traps armed.
  for (uint64_t passes = 1; passes <= kMaxPassesScanned; passes *= 8) {
    uint64_t arrivals = 0;
    std::unique_ptr<Execution> stopped_early;
    const VisitOptions options{.probes_only = true,
                               .passes_back = passes,
                               .arrivals = &arrivals,
                               .interrupted = interrupted,
                               .stopped_early = &stopped_early};
    std::unique_ptr<Execution> scan_copy;
    Expected<std::optional<Position>> found =
        LastVisitBefore(cp, upper.event, upper, &scan_copy, options);
    if (stopped_early) {
      // Interrupted while the probes re-executed the loop: stop where that
      // got to, a pass before `upper`.
      RETURN_IF_ERROR(MakeLive(std::move(stopped_early)));
      return Result(ReplayStop::Of(ReplayStop::Kind::kInterrupted));
    }
    if (!found.ok() || !scan_copy || !*found) return Result();  // breakpoints decide
    const Position visit = **found;
    // A copy there for the way to the hit.
    std::unique_ptr<Execution> way;
    if (scan_copy->CanFork()) {
      ASSIGN_OR_RETURN(way, scan_copy->Fork());
    } else {
      Expected<std::optional<Position>> again =
          LastVisitBefore(cp, upper.event, upper, &way, options);
      if (stopped_early) {
        RETURN_IF_ERROR(MakeLive(std::move(stopped_early)));
        return Result(ReplayStop::Of(ReplayStop::Kind::kInterrupted));
      }
      if (!again.ok() || !way || !*again || !(*again)->SameState(visit)) return Result();
    }
    way->set_echo_from_event(UINT64_MAX);
    ASSIGN_OR_RETURN(Scan scan, ScanFrom(std::move(scan_copy), visit.event, upper, interrupted));
    if (scan.interrupted) {
      RETURN_IF_ERROR(MakeLive(std::move(scan.interrupted)));
      return Result(ReplayStop::Of(ReplayStop::Kind::kInterrupted));
    }
    std::optional<Hit> hit = std::move(scan.last);
    if (!hit && breakpoints_.count(visit.pc)) {
      // No trap after it: the visit's own breakpoint is the hit.
      ReplayStop stop = ReplayStop::Of(ReplayStop::Kind::kBreakpoint);
      stop.addr = visit.pc;
      stop.tid = visit.tid;
      hit = Hit{visit, stop};
    }
    if (hit) {
      ASSIGN_OR_RETURN(Position target, StopPosition(*hit));
      RETURN_IF_ERROR(RunToState(*way, target));
      RETURN_IF_ERROR(MakeLive(std::move(way)));
      return Result(hit->stop);
    }
    // Every pass since the event was scanned: what is left is before the
    // loop, where the scan from a checkpoint meets few traps.
    if (arrivals <= passes || interrupted()) return Result();
  }
  return Result();
}

Expected<std::optional<Position>> Timeline::LastVisitBefore(const Checkpoint& cp,
                                                            uint64_t base_event,
                                                            const Position& target,
                                                            std::unique_ptr<Execution>* at_visit,
                                                            const VisitOptions& options) {
  // A second copy of the same stretch: sessions of several threads cannot
  // fork themselves, but every checkpoint can.
  ASSIGN_OR_RETURN(std::unique_ptr<Execution> scratch, Restore(cp));
  RETURN_IF_ERROR(RunToEvent(*scratch, base_event));
  // Fast, at native speed however long the loop: count the arrivals at a
  // probe's pc up to the target (or a state just after it), then stop a
  // third copy at the one before.
  std::vector<uint8_t> anchor_window;
  ASSIGN_OR_RETURN(std::optional<Position> anchor, ProbeAnchor(target, &anchor_window));
  std::optional<uint64_t> earlier;
  // Hands `s`, stopped by the debugger's interrupt, to the caller.
  auto stop_early = [&](std::unique_ptr<Execution> s) {
    s->set_interrupt_poll(nullptr);
    *options.stopped_early = std::move(s);
    return std::optional<Position>();
  };
  const bool interruptible = options.interrupted && options.stopped_early;
  if (anchor) {
    // Only a speed-up: where the probes do not get there, breakpoints do.
    bool interrupted = false;
    if (interruptible) scratch->set_interrupt_poll(options.interrupted);
    Expected<std::optional<uint64_t>> counted =
        RunToStateByProbe(*scratch, *anchor, anchor_window, interruptible ? &interrupted : nullptr);
    if (interrupted) return stop_early(std::move(scratch));
    if (interruptible) scratch->set_interrupt_poll(nullptr);
    if (counted.ok()) earlier = *counted;
  }
  if (earlier) {
    if (options.arrivals) *options.arrivals = *earlier;
    // No arrival before: the loop had not started, single-step from the event.
    if (*earlier == 0) return std::optional<Position>();
    ASSIGN_OR_RETURN(std::unique_ptr<Execution> third, Restore(cp));
    RETURN_IF_ERROR(RunToEvent(*third, base_event));
    uint64_t arrival = *earlier > options.passes_back ? *earlier - options.passes_back + 1 : 1;
    ASSIGN_OR_RETURN(bool armed, third->ArmArrivalProbe(anchor->pc, arrival, anchor->event));
    bool interrupted = false;
    if (interruptible) third->set_interrupt_poll(options.interrupted);
    const bool hit =
        armed && RunToProbeHit(
                     *third, *anchor, [] { return true; }, interruptible ? &interrupted : nullptr)
                     .ok();
    if (interrupted) return stop_early(std::move(third));
    if (interruptible) third->set_interrupt_poll(nullptr);
    if (hit) {
      Position visit = third->Here();
      if (visit.tid == target.tid) {
        *at_visit = std::move(third);
        return std::optional<Position>(std::move(visit));
      }
    }
  }
  if (options.probes_only) return std::optional<Position>();
  if (anchor) {
    // Another thread came by last, or the probes missed: find this
    // thread's visit by breakpoint.
    ASSIGN_OR_RETURN(scratch, Restore(cp));
    RETURN_IF_ERROR(RunToEvent(*scratch, base_event));
  }
  RETURN_IF_ERROR(InsertTrapAt(*scratch, target));
  std::optional<Position> last;
  for (uint64_t hits = 0; hits < kMaxVisitCount; ++hits) {
    ASSIGN_OR_RETURN(ReplayStop stop, scratch->Continue());
    // The target may be the very end of a trace cut short: the visits
    // found so far are all before it.
    if (IsEnd(stop)) return last;
    if (scratch->event_number() > target.event) return Lost(target, "its event passed");
    if (stop.kind != ReplayStop::Kind::kBreakpoint || stop.addr != target.pc) continue;
    Position here = scratch->Here();
    if (here.SameState(target)) return last;
    if (here.tid == target.tid) last = std::move(here);
  }
  return TooFar(target, "its instruction ran more than " + std::to_string(kMaxVisitCount) +
                            " times since the previous event (use a breakpoint and "
                            "reverse-continue instead)");
}

Expected<std::optional<Position>> Timeline::ProbeAnchor(const Position& target,
                                                        std::vector<uint8_t>* stack_window) {
  using Result = std::optional<Position>;
  if (live_->exited() || !live_->HasProbes()) return Result();
  bool live_at_target = live_->Here().SameState(target);
  if (live_->ProbeFits(target.pc)) {
    if (live_at_target) *stack_window = live_->StackWindow();
    return Result(target);
  }
  // The instructions at the target take no probe (a jump, a call): the
  // first state after it whose instruction does, found by stepping a copy
  // of the live execution when the target is where it is.
  if (!live_->CanFork() || !live_at_target) return Result();
  ASSIGN_OR_RETURN(std::unique_ptr<Execution> ahead, live_->Fork());
  ahead->set_echo_from_event(UINT64_MAX);
  for (int steps = 0; steps < kMaxAnchorSteps; ++steps) {
    ASSIGN_OR_RETURN(ReplayStop stop, ahead->Step());
    if (IsEnd(stop)) break;
    Position here = ahead->Here();
    if (here.event != target.event || here.tid != target.tid) break;
    if (ahead->ProbeFits(here.pc)) {
      *stack_window = ahead->StackWindow();
      return Result(std::move(here));
    }
  }
  return Result();
}

Expected<bool> Timeline::GotoInTrail(const Position& target) {
  if (!trail_start_) return false;
  for (size_t i = 0; i < trail_.size(); ++i) {
    if (!trail_[i].SameState(target)) continue;
    ASSIGN_OR_RETURN(std::unique_ptr<Execution> s, trail_start_->Fork());
    s->set_echo_from_event(UINT64_MAX);
    for (size_t k = 0; k < i; ++k) {
      ASSIGN_OR_RETURN(ReplayStop stop, s->Step());
      if (IsEnd(stop)) return false;
    }
    if (!s->Here().SameState(target)) return false;
    RETURN_IF_ERROR(MakeLive(std::move(s), trail_after_path_switch_));
    return true;
  }
  return false;
}

Expected<uint64_t> Timeline::RunToProbeHit(Execution& s, const Position& target,
                                           const std::function<bool()>& is_it, bool* interrupted) {
  Status status;
  while (true) {
    Expected<ReplayStop> stop = s.Continue();
    if (!stop.ok()) {
      status = stop.status();
      break;
    }
    if (interrupted && stop->kind == ReplayStop::Kind::kInterrupted) {
      *interrupted = true;
      break;
    }
    if (IsEnd(*stop)) {
      status = Lost(target, "the replay ended first");
      break;
    }
    if (s.event_number() > target.event) {
      status = Lost(target, "its event passed");
      break;
    }
    if (stop->kind == ReplayStop::Kind::kBreakpoint && stop->addr == target.pc && is_it()) break;
  }
  // A hit removed the probe already; after a failure it may still be in.
  Expected<uint64_t> count = s.DisarmProbe();
  RETURN_IF_ERROR(status);
  return count;
}

Expected<std::optional<uint64_t>> Timeline::RunToStateByProbe(
    Execution& s, const Position& target, const std::vector<uint8_t>& stack_window,
    bool* interrupted) {
  ASSIGN_OR_RETURN(bool armed, s.ArmStateProbe(target, stack_window));
  if (!armed) return std::optional<uint64_t>();
  ASSIGN_OR_RETURN(uint64_t passes,
                   RunToProbeHit(
                       s, target, [&] { return s.Here().SameState(target); }, interrupted));
  if (interrupted && *interrupted) return std::optional<uint64_t>();
  // The hit is an arrival too.
  return std::optional<uint64_t>(passes > 0 ? passes - 1 : 0);
}

Status Timeline::RunToState(Execution& s, const Position& target) {
  if (s.Here().SameState(target)) return Status::Ok();
  if (target.syscall_entry || target.buffered_return) {
    // Its pc is past the syscall instruction: a breakpoint there would
    // trap after the syscall. A buffered syscall's return is on a path
    // only runs that catch syscalls take.
    s.set_syscall_catch(SyscallCatch::All());
    while (true) {
      ASSIGN_OR_RETURN(ReplayStop stop, s.Continue());
      if (IsEnd(stop)) return Lost(target, "the replay ended first");
      if (s.event_number() > target.event) return Lost(target, "its event passed");
      if (IsCatch(stop) && s.Here().SameState(target)) break;
    }
    s.set_syscall_catch(syscall_catch_);
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(std::optional<uint64_t> by_probe, RunToStateByProbe(s, target, {}));
  if (by_probe) return Status::Ok();
  RETURN_IF_ERROR(InsertTrapAt(s, target));
  while (true) {
    ASSIGN_OR_RETURN(ReplayStop stop, s.Continue());
    if (IsEnd(stop)) return Lost(target, "the replay ended first");
    if (s.event_number() > target.event) return Lost(target, "its event passed");
    if (stop.kind == ReplayStop::Kind::kBreakpoint && stop.addr == target.pc &&
        s.Here().SameState(target)) {
      break;
    }
  }
  return s.RemoveBreakpoint(target.pc);
}

Expected<ReplayStop> Timeline::ReverseStep() {
  if (live_->exited()) {
    return Status(ErrorCode::kInvalidInput, "the process has exited; restart to go back");
  }
  ASSIGN_OR_RETURN(std::optional<Position> before, Predecessor(Current()));
  if (!before) return HistoryStartStop();
  ASSIGN_OR_RETURN(bool stepped_there, GotoInTrail(*before));
  if (!stepped_there) RETURN_IF_ERROR(Goto(*before));
  return ReplayStop::Of(ReplayStop::Kind::kStep);
}

Expected<int> Timeline::TakeCheckpoint(const std::string& name) {
  return AddCheckpoint(*live_, name, false);
}

std::vector<CheckpointInfo> Timeline::Checkpoints() const { return checkpoints_.Infos(); }

Status Timeline::RestoreCheckpoint(const std::string& id_or_name) {
  const Checkpoint* cp = checkpoints_.Find(id_or_name);
  if (!cp) {
    auto mark = std::find_if(bookmarks_.begin(), bookmarks_.end(),
                             [&](const TraceBookmark& b) { return b.name == id_or_name; });
    if (mark == bookmarks_.end()) {
      return Status(ErrorCode::kNotFound, "no checkpoint '" + id_or_name + "'");
    }
    return GotoEvent(mark->event);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Execution> s, Restore(*cp));
  return MakeLive(std::move(s));
}

Status Timeline::GotoEvent(uint64_t event, const InterruptPoll& interrupted) {
  if (event < start_.event) event = start_.event;
  if (event > live_->event_count()) return BeyondTheEnd(event, live_->event_count());
  const Checkpoint& cp = NearestBefore(event);
  ASSIGN_OR_RETURN(std::unique_ptr<Execution> s, Restore(cp));
  RETURN_IF_ERROR(RunToEvent(*s, event, interrupted));
  return MakeLive(std::move(s));
}

}  // namespace rwd::replayer
