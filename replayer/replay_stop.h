// ReplayStop: why a forward replay stopped (replayer/execution.h), and the
// stops reverse execution adds (kHistoryStart, kInterrupted).
// Also the stops of caught syscalls.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace rwd::replayer {

struct ReplayStop {
  enum class Kind {
    kStep,           // a single-step finished
    kBreakpoint,     // a software breakpoint at `addr` was hit
    kWatchpoint,     // hardware watchpoint `watch_index` triggered
    kSignal,         // the recorded signal `signo` is about to be delivered
    kExited,         // the process ended; `wait_status` as recorded
    kEndOfTrace,     // no more events (a trace cut short); `note` says why
    kEventBoundary,  // the boundary predicate asked to stop after an event
    kHistoryStart,   // reverse execution reached the start of the recording
    kInterrupted,    // the debugger interrupted a long run
    // A caught syscall (replayer/syscall_catch.h) `syscall_nr`: the thread
    // sits at its entry, nothing of it done yet; or it has just returned,
    // at the boundary after its event.
    kSyscallEntry,
    kSyscallReturn,
  };
  // A stop of `kind` with nothing else to say.
  static ReplayStop Of(Kind kind) {
    ReplayStop stop;
    stop.kind = kind;
    return stop;
  }

  Kind kind = Kind::kStep;
  uint64_t addr = 0;
  int watch_index = -1;
  int signo = 0;
  int wait_status = 0;
  int64_t syscall_nr = -1;
  std::string note;
  pid_t tid = 0;  // recorded tid of the thread that stopped
  // kEndOfTrace: the focus process exits next, with `wait_status`
  // (ReplayOptions::keep_focus_at_exit).
  bool exit_ahead = false;
};

}  // namespace rwd::replayer
