#include "core/wait_status.h"

#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "base/signal_name.h"

namespace rwd {

WaitStatus WaitStatus::FromRaw(pid_t tid, int raw) {
  WaitStatus s;
  s.tid = tid;
  s.raw = raw;
  if (WIFEXITED(raw)) {
    s.kind = Kind::kExited;
    s.exit_code = WEXITSTATUS(raw);
  } else if (WIFSIGNALED(raw)) {
    s.kind = Kind::kKilled;
    s.signo = WTERMSIG(raw);
    s.core_dumped = WCOREDUMP(raw);
  } else if (WIFSTOPPED(raw)) {
    int sig = WSTOPSIG(raw);
    int event = (raw >> 16) & 0xff;
    if (sig == (SIGTRAP | 0x80)) {
      s.kind = Kind::kSyscallStop;
    } else if (event == PTRACE_EVENT_STOP) {
      s.kind = Kind::kGroupStop;
      s.signo = sig;
    } else if (event != 0) {
      s.kind = Kind::kPtraceEvent;
      s.event = event;
    } else {
      s.kind = Kind::kSignalStop;
      s.signo = sig;
    }
  }
  return s;
}

std::string WaitStatus::ToString() const {
  switch (kind) {
    case Kind::kSyscallStop: return "syscall-stop";
    case Kind::kSignalStop: return "signal-stop " + SignalName(signo);
    case Kind::kGroupStop: return "group-stop " + SignalName(signo);
    case Kind::kPtraceEvent: return "ptrace-event " + std::to_string(event);
    case Kind::kExited: return "exited " + std::to_string(exit_code);
    case Kind::kKilled: return "killed by " + SignalName(signo);
  }
  return "?";
}

}  // namespace rwd
