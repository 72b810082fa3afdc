// StartPoint: where in a trace a debugging session starts, as both front
// ends' command lines ask for it (rewind replay and rewind debug: -p/-f,
// --crash, -g). Choosing the process is done before the timeline opens
// (its history starts there); going to the point, after, on the session.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "debugger/debugger_session.h"
#include "replayer/timeline.h"

namespace rwd::debugger {

struct StartRequest {
  pid_t process = 0;       // -p/-f: a recorded process of the tree; 0: the first
  bool from_fork = false;  // -f: its history starts at its creation, not its exec
  bool crash = false;      // --crash: the process that crashed, at its fatal signal
  // -g: an event number, or the name the program gave a checkpoint.
  std::optional<uint64_t> event;
  std::string checkpoint_name;
};

// The fatal signal of a crashed process: where --crash stops.
struct CrashPoint {
  pid_t pid = 0;
  pid_t tid = 0;
  int signo = 0;
  uint64_t signal_event = 0;
};

class StartPoint {
 public:
  // Reads the trace in `dir` for what `request` needs before the timeline
  // opens (the crash), and points `options` at the process to debug.
  static Expected<StartPoint> Choose(const std::string& dir, const StartRequest& request,
                                     replayer::TimelineOptions* options);

  // Moves `session` (just opened over the chosen timeline) to the point.
  // Returns what to tell the user, "" when nothing.
  Expected<std::string> GoThere(DebuggerSession& session) const;

 private:
  StartRequest request_;
  CrashPoint crash_;
};

// The first process of the tree in `dir` killed by a core-dumping signal,
// and the event of that signal.
Expected<CrashPoint> FindCrash(const std::string& dir);

}  // namespace rwd::debugger
