// StopRequests: SIGTERM, SIGINT and SIGHUP sent to the recorder.
//
// Killing the recorder outright would lose the events it has buffered and
// kill the program mid-step (PTRACE_O_EXITKILL). Instead, as rr does, a
// request is handed to the recorded program: the recorder flushes what it has
// and sends the same signal to every recorded process, which the trace then
// shows arriving like any signal from outside; if the program ends, the
// recording ends normally and is complete. A second request means the
// program did not end: the recorder stops, keeping every event so far in a
// trace marked as cut short. Requests within 250 ms of the one passed on are
// the same request (`timeout` signals its child and then its process group).
//
// A signal the terminal sent (Ctrl-C, si_code SI_KERNEL) reached the program
// too, since it runs in the recorder's process group: it is not passed on
// again. The handlers are installed without SA_RESTART, so a recorder blocked
// in waitpid() sees EINTR and looks at Take() at once.
//
// Process-wide (signal handlers): one RecordSession at a time.
#pragma once

namespace rwd::recorder {

class StopRequests {
 public:
  // Installs the handlers (idempotent).
  static void Install();
  // The signal of the oldest request not yet taken, or 0.
  static int Take();
  // Whether a request is waiting, without taking it (async-signal-safe).
  static bool Pending();
};

}  // namespace rwd::recorder
