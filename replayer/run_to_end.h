// RunToEnd: replays a whole trace without a debugger (rewind replay
// --autopilot), reproducing the program's output, and says how the first
// process ended.
#pragma once

#include <string>

#include "base/status.h"
#include "replayer/replay_session.h"

namespace rwd::replayer {

struct ReplayEnd {
  enum class Kind {
    kExited,      // the first process exited with `status`, every event replayed
    kKilled,      // the first process died of signal `status`, every event replayed
    kIncomplete,  // the trace ends before the program did (`description` says why)
  };
  Kind kind = Kind::kExited;
  int status = 0;
  // kKilled: "replay reproduced SIGSEGV", with the faulting address and pc
  // when the CPU raised it; kIncomplete: the event where replay stopped and
  // the trace's note. Empty for kExited.
  std::string description;
};

// Continues `session` until its first process ended and no event is left
// (its children may still have output to reproduce), or the history ends.
// A divergence or any other replay error is returned as is.
Expected<ReplayEnd> RunToEnd(ReplaySession& session);

}  // namespace rwd::replayer
