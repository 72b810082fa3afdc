// EnterSignalHandler: delivers a caught asynchronous signal by stepping the
// thread into its handler, and clears from the new frame the record of the
// thread's last trap (arch/signal_frame.h), which is the tracer's own. The
// recorder and the replayer both deliver such signals so: their frames are
// then the same, and a program that never faulted sees zeros there, as it
// would natively.
#pragma once

#include "base/status.h"
#include "core/tracee.h"

namespace rwd {

// At a signal-delivery-stop of `signo` that is not a fault the CPU raised:
// true when the thread now stops at its handler's first instruction with
// the signal delivered; false when nothing was done (no handler, or nothing
// to clear on this architecture), and the caller delivers it as before.
// `step` is the single-step mode the caller's thread runs under. A thread
// killed meanwhile is an error (kTraceeExited when it was gone before the
// step, its death still to be waited for).
Expected<bool> EnterSignalHandler(Tracee& tracee, int signo, ResumeMode step);

// The parts of EnterSignalHandler, for a caller that steps the thread into
// the handler itself (the replayer, with page-protection watchpoints
// disarmed around it). Whether delivering `signo` now enters a handler
// whose frame has a trap record to clear:
bool SignalEntersHandler(const Tracee& tracee, int signo);
// At the handler's first instruction, the frame just built:
Status ClearSignalFrameTrapRecord(Tracee& tracee);

}  // namespace rwd
