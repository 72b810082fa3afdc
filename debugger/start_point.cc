#include "debugger/start_point.h"

#include <sys/wait.h>

#include <variant>

#include "base/signal_name.h"
#include "replayer/process_focus.h"
#include "trace/process_tree.h"
#include "trace/trace_reader.h"

namespace rwd::debugger {

Expected<CrashPoint> FindCrash(const std::string& dir) {
  ASSIGN_OR_RETURN(auto reader, trace::TraceReader::Open(dir));
  ASSIGN_OR_RETURN(std::vector<trace::ProcessInfo> processes, trace::ReadProcessTree(*reader));
  for (const trace::ProcessInfo& p : processes) {
    if (p.end != trace::ProcessEnd::kExited || !WIFSIGNALED(p.wait_status) ||
        !IsCoreDumpSignal(WTERMSIG(p.wait_status))) {
      continue;
    }
    CrashPoint crash{p.pid, p.end_tid, WTERMSIG(p.wait_status), 0};
    RETURN_IF_ERROR(reader->Seek(p.first_event));
    for (uint64_t n = p.first_event; n < p.end_event; ++n) {
      ASSIGN_OR_RETURN(std::optional<trace::Event> ev, reader->Next());
      if (!ev) break;
      auto* sig = std::get_if<trace::SignalEvent>(&ev->body);
      if (sig && ev->tid == crash.tid && sig->signo == crash.signo) crash.signal_event = n;
    }
    if (crash.signal_event == 0) {
      return Status(ErrorCode::kCorrupt, "process " + std::to_string(p.pid) + " died of " +
                                             SignalName(crash.signo) +
                                             " but the trace has no such signal for it");
    }
    return crash;
  }
  return Status(ErrorCode::kNotFound,
                "no process crashed in " + dir + " (see 'rewind ps " + dir + "')");
}

Expected<StartPoint> StartPoint::Choose(const std::string& dir, const StartRequest& request,
                                        replayer::TimelineOptions* options) {
  StartPoint point;
  point.request_ = request;
  if (request.crash) {
    ASSIGN_OR_RETURN(point.crash_, FindCrash(dir));
    point.request_.process = point.crash_.pid;
    point.request_.from_fork = false;
  }
  if (point.request_.process != 0) {
    RETURN_IF_ERROR(replayer::FocusOnProcess(dir, point.request_.process,
                                             point.request_.from_fork, options));
  }
  return point;
}

namespace {

// Runs the replay forward to the delivery of the crash's signal.
Status RunToCrash(DebuggerSession& session, const CrashPoint& crash) {
  using Kind = replayer::ReplayStop::Kind;
  while (true) {
    const Stop& stop = session.Resume(Motion::kContinue, 0, [] { return false; });
    if (!stop.error.ok()) return stop.error;
    Kind kind = stop.replay.kind;
    if (kind == Kind::kExited || kind == Kind::kEndOfTrace || kind == Kind::kHistoryStart) {
      return Status(ErrorCode::kDivergence, "the replay of process " + std::to_string(crash.pid) +
                                                " ended before its " + SignalName(crash.signo));
    }
    if (kind == Kind::kSignal && stop.replay.signo == crash.signo && stop.tid == crash.tid &&
        session.live().event_number() >= crash.signal_event) {
      return Status::Ok();
    }
  }
}

}  // namespace

Expected<std::string> StartPoint::GoThere(DebuggerSession& session) const {
  std::string said;
  replayer::Timeline& timeline = session.timeline();
  if (request_.crash) {
    RETURN_IF_ERROR(RunToCrash(session, crash_));
    said = "stopped where process " + std::to_string(crash_.pid) + " (thread " +
           std::to_string(crash_.tid) + ") receives its fatal " + SignalName(crash_.signo) +
           ", event " + std::to_string(session.live().event_number());
  }
  if (request_.event) {
    Status reached = timeline.GotoEvent(*request_.event);
    if (!reached.ok()) {
      return Status(reached.code(), "cannot start at event " + std::to_string(*request_.event) +
                                        ": " + reached.message());
    }
  }
  if (!request_.checkpoint_name.empty()) {
    Status reached = timeline.RestoreCheckpoint(request_.checkpoint_name);
    if (!reached.ok()) {
      std::string names;
      for (const replayer::TraceBookmark& b : timeline.bookmarks()) names += " " + b.name;
      return Status(reached.code(), "cannot start at '" + request_.checkpoint_name +
                                        "': " + reached.message() +
                                        (names.empty() ? " (the program named no checkpoints)"
                                                       : " (the program named:" + names + ")"));
    }
  }
  return said;
}

}  // namespace rwd::debugger
