// ScopedWakeupTimer: while alive, SIGALRM arrives every `period` and
// interrupts blocking system calls of this process (EINTR), so a tracer
// blocked in waitpid() gets regular chances to look for a user's interrupt
// even when the tracee runs for a long time without stopping.
//
// Arm it only around the blocking call: other code would have to handle
// EINTR. Not reentrant; one at a time per process.
#pragma once

#include <sys/time.h>

#include <chrono>

namespace rwd {

class ScopedWakeupTimer {
 public:
  explicit ScopedWakeupTimer(std::chrono::microseconds period);
  ~ScopedWakeupTimer();
  ScopedWakeupTimer(const ScopedWakeupTimer&) = delete;
  ScopedWakeupTimer& operator=(const ScopedWakeupTimer&) = delete;
};

}  // namespace rwd
