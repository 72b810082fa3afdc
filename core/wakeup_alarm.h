// WakeupAlarm: SIGALRM at a CLOCK_MONOTONIC time point, to the thread that
// sets it, so that this thread's blocking waitpid() returns EINTR at a
// deadline. A tracer that waits for stops many thousand times a second
// keeps one deadline (a time slice's end, a syscall's patience) across many
// waits: the handler is installed once, and the timer is set only when an
// earlier deadline is asked for or after the alarm went off, so most waits
// cost no system call of the alarm's own. It may go off early (a deadline
// later than the one set is left alone): whoever wakes checks the time.
//
// A signal that lands between the decision to wait and the wait's start
// interrupts nothing; went_off() then says so before the next wait, and
// until the alarm is set again or cleared it repeats every kRepeat, so a
// wait that begins just after it went off still wakes soon.
//
// The signal interrupts any blocking call of the thread (no SA_RESTART), at
// any time while set: calls that may block outside the wait retry on EINTR.
// One alarm per process at a time (two would wake each other's waits);
// not thread-safe.
#pragma once

#include <time.h>

#include <chrono>
#include <optional>

#include "base/status.h"

namespace rwd {

class WakeupAlarm {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;  // CLOCK_MONOTONIC
  static constexpr auto kRepeat = std::chrono::milliseconds(1);

  WakeupAlarm();
  ~WakeupAlarm();
  WakeupAlarm(const WakeupAlarm&) = delete;
  WakeupAlarm& operator=(const WakeupAlarm&) = delete;

  // Makes the alarm go off at `deadline` or earlier. The first call decides
  // the thread the signal goes to.
  Status SetBy(TimePoint deadline);
  // Whether it went off since the last call (or since SetBy set it).
  bool TakeWentOff();
  // Stops the repeats of an alarm that went off. A pending one is left to
  // go off (once): cheaper than a system call now.
  Status EndRepeats();

 private:
  Status SetTimer(const itimerspec& spec);

  std::optional<timer_t> timer_;
  // The deadline it is set for, while it has not gone off.
  std::optional<TimePoint> pending_;
  bool repeating_ = false;  // it went off and repeats every kRepeat
};

}  // namespace rwd
