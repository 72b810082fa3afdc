#include "core/wakeup_timer.h"

#include <signal.h>

namespace rwd {

namespace {

void IgnoreAlarm(int) {}

}  // namespace

ScopedWakeupTimer::ScopedWakeupTimer(std::chrono::microseconds period) {
  struct sigaction sa {};
  sa.sa_handler = IgnoreAlarm;  // no SA_RESTART: blocking calls return EINTR
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, nullptr);
  itimerval t{};
  t.it_value.tv_sec = period.count() / 1000000;
  t.it_value.tv_usec = period.count() % 1000000;
  t.it_interval = t.it_value;
  setitimer(ITIMER_REAL, &t, nullptr);
}

ScopedWakeupTimer::~ScopedWakeupTimer() {
  itimerval off{};
  setitimer(ITIMER_REAL, &off, nullptr);
}

}  // namespace rwd
