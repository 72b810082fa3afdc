#include "replayer/run_to_end.h"

#include <sys/wait.h>

#include <cinttypes>
#include <cstdio>

#include "arch/siginfo_view.h"
#include "base/signal_name.h"

namespace rwd::replayer {

Expected<ReplayEnd> RunToEnd(ReplaySession& session) {
  while (true) {
    ASSIGN_OR_RETURN(ReplayStop stop, session.Continue());
    switch (stop.kind) {
      case ReplayStop::Kind::kExited: {
        // The first process ended; others (its children) may still have
        // events to replay, and their output to reproduce.
        if (!session.finished()) break;
        const int ws = stop.wait_status;
        if (!WIFSIGNALED(ws)) return ReplayEnd{ReplayEnd::Kind::kExited, WEXITSTATUS(ws), ""};
        const int sig = WTERMSIG(ws);
        std::string what = "replay reproduced " + SignalName(sig);
        const trace::SignalEvent* last = session.last_signal();
        if (last && last->signo == sig && last->synchronous) {
          char buf[96];
          snprintf(buf, sizeof(buf), " at address 0x%" PRIx64 " (pc 0x%" PRIx64 ")",
                   arch::SiginfoView(last->siginfo).addr(), last->pc);
          what += buf;
        }
        return ReplayEnd{ReplayEnd::Kind::kKilled, sig, what};
      }
      case ReplayStop::Kind::kEndOfTrace:
        return ReplayEnd{
            ReplayEnd::Kind::kIncomplete, 0,
            "replay stopped at event " + std::to_string(session.event_number()) + ": " + stop.note};
      default:
        break;  // signals are delivered on the next Continue
    }
  }
}

}  // namespace rwd::replayer
