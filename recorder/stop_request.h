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
// again. Nor is one a recorded process sent to its own process group
// (kill(0, SIGTERM)): the kernel delivered it to the program already, and the
// caller decides that by the sender (Request::sender). The handlers are
// installed without SA_RESTART, so a recorder blocked in waitpid() sees EINTR
// and looks at Take() at once.
//
// The other signals a program may send to its process group and whose
// default would kill or stop the recorder (SIGABRT from kill(0, SIGABRT),
// SIGUSR1, SIGPIPE, ...) are ignored by the recorder: they are the program's.
//
// Process-wide (signal handlers): one RecordSession at a time.
#pragma once

#include <sys/types.h>

namespace rwd::recorder {

class StopRequests {
 public:
  struct Request {
    int signo = 0;      // 0: none
    pid_t sender = 0;   // si_pid of a kill() or sigqueue(), else 0
  };
  // Installs the handlers and ignores the program's group signals
  // (idempotent). Call after the program was spawned: an ignored signal
  // would stay ignored in it across exec.
  static void Install();
  // The oldest request not yet taken (signo 0 if none).
  static Request Take();
  // Whether a request is waiting, without taking it (async-signal-safe).
  static bool Pending();
};

}  // namespace rwd::recorder
