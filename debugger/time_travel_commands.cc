#include "debugger/time_travel_commands.h"

#include <charconv>
#include <sstream>

#include "base/hex.h"

namespace rwd::debugger {

std::string DescribeWhen(const WhenInfo& when) {
  std::ostringstream out;
  out << "Current event: " << when.event << " (of " << when.event_count << ")";
  if (!when.exited) {
    if (when.buffered > 0) {
      out << ", " << when.buffered << " buffered syscall" << (when.buffered == 1 ? "" : "s")
          << " after it";
    }
    out << ", pc " << Hex(when.pc) << (when.boundary ? ", at the event boundary" : "");
  } else {
    out << ", the process has exited";
  }
  out << "\n";
  return out.str();
}

namespace {

std::string Checkpoints(DebuggerSession& session) {
  std::ostringstream out;
  for (const replayer::CheckpointInfo& cp : session.Checkpoints()) {
    out << cp.id << "\tevent " << cp.event << "\t" << (cp.automatic ? "auto" : "explicit")
        << (cp.name.empty() ? "" : "\t" + cp.name) << "\n";
  }
  // The program's own (rewind_checkpoint), restarted by name.
  for (const replayer::TraceBookmark& b : session.timeline().bookmarks()) {
    out << "-\tevent " << b.event << "\trecorded\t" << b.name << "\n";
  }
  return out.str();
}

std::string Stats(DebuggerSession& session) {
  const replayer::TimelineStats& st = session.timeline().stats();
  std::ostringstream out;
  out << "checkpoints: " << session.Checkpoints().size() << " kept, " << st.checkpoints_taken
      << " taken\n"
      << "restores: " << st.restores << " (" << st.restores_from_start
      << " from the start of history), last from event " << st.last_restore_event << "\n"
      << "snapshots of the trace restored: " << st.snapshots_opened << "\n"
      << "watchpoints: "
      << (session.live().hardware_watchpoints() ? "debug registers" : "page protection") << ", "
      << session.live().watch_page_faults() << " page faults taken by this stretch of replay\n";
  return out.str();
}

}  // namespace

std::optional<std::string> RunTimeTravelCommand(DebuggerSession& session, const std::string& verb,
                                                const std::string& arg,
                                                const std::string& usage_prefix,
                                                const std::function<bool()>& interrupted) {
  if (verb == "when") return DescribeWhen(session.When());
  if (verb == "checkpoint") {
    Expected<int> id = session.TakeCheckpoint(arg);
    if (!id.ok()) return "error: " + id.status().message() + "\n";
    return "Checkpoint " + std::to_string(*id) + " at event " +
           std::to_string(session.timeline().event_number()) + "\n";
  }
  if (verb == "checkpoints") return Checkpoints(session);
  if (verb == "restart") {
    if (arg.empty()) return "usage: " + usage_prefix + "restart ID|NAME\n";
    Status s = session.Restart(arg);
    return s.ok() ? DescribeWhen(session.When())
                  : "error: " + s.message() + " (see '" + usage_prefix + "checkpoints')\n";
  }
  if (verb == "goto") {
    uint64_t event = 0;
    auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), event);
    if (arg.empty() || ec != std::errc() || end != arg.data() + arg.size()) {
      return "usage: " + usage_prefix + "goto EVENT\n";
    }
    Status s = session.Goto(event, interrupted);
    if (!s.ok()) return "error: " + s.message() + "\n";
    WhenInfo when = session.When();
    std::string early = when.event < event && !when.exited
                            ? "Interrupted before event " + std::to_string(event) + ".\n"
                            : "";
    return early + DescribeWhen(when);
  }
  if (verb == "stats") return Stats(session);
  return std::nullopt;
}

}  // namespace rwd::debugger
