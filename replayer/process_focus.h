// FocusOnProcess: which process of a recorded tree a debugger looks at, and
// where its history starts (rewind replay -p and -f).
#pragma once

#include <sys/types.h>

#include <string>

#include "base/status.h"
#include "replayer/timeline.h"

namespace rwd::replayer {

// Points `options` at recorded process `pid` of the trace in `dir`: its
// history starts after its first exec, or after its creation (the fork)
// with `from_fork` or when it never execs. kInvalidInput when the trace has
// no such process.
Status FocusOnProcess(const std::string& dir, pid_t pid, bool from_fork, TimelineOptions* options);

}  // namespace rwd::replayer
