// WaitStatus: a decoded waitpid() status of a ptraced thread.
//
// ptrace multiplexes many kinds of stops onto one status word; this type
// names them so callers switch on a kind instead of bit-twiddling.
#pragma once

#include <sys/types.h>

#include <string>

namespace rwd {

struct WaitStatus {
  enum class Kind {
    kSyscallStop,    // PTRACE_O_TRACESYSGOOD stop (entry or exit)
    kSignalStop,     // signal-delivery-stop: `signo` is about to be delivered
    kGroupStop,      // a stopping signal stopped the thread (PTRACE_EVENT_STOP)
    kPtraceEvent,    // PTRACE_EVENT_* stop: `event`
    kExited,         // exited normally with `exit_code`
    kKilled,         // killed by `signo` (core dumped: `core_dumped`)
  };

  static WaitStatus FromRaw(pid_t tid, int raw);
  std::string ToString() const;

  pid_t tid = 0;
  int raw = 0;
  Kind kind = Kind::kExited;
  int signo = 0;
  int event = 0;
  int exit_code = 0;
  bool core_dumped = false;

  bool is_exit() const { return kind == Kind::kExited || kind == Kind::kKilled; }
};

}  // namespace rwd
