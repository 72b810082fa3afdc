#include "core/wakeup_alarm.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

// glibc 2.36 names the field of SIGEV_THREAD_ID only by its union member.
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

namespace rwd {

namespace {

std::atomic<int> g_went_off{0};

void OnAlarm(int) { g_went_off.store(1, std::memory_order_relaxed); }

timespec ToTimespec(std::chrono::nanoseconds ns) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(ns);
  return timespec{static_cast<time_t>(secs.count()), static_cast<long>((ns - secs).count())};
}

}  // namespace

WakeupAlarm::WakeupAlarm() {
  struct sigaction sa {};
  sa.sa_handler = OnAlarm;  // no SA_RESTART: waitpid returns EINTR
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, nullptr);
  g_went_off.store(0);
}

WakeupAlarm::~WakeupAlarm() {
  if (timer_) timer_delete(*timer_);
}

Status WakeupAlarm::SetTimer(const itimerspec& spec) {
  if (!timer_) {
    sigevent sev{};
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGALRM;
    sev.sigev_notify_thread_id = gettid();
    timer_t t;
    if (timer_create(CLOCK_MONOTONIC, &sev, &t) != 0) {
      return ErrnoError("creating the recorder's wakeup timer");
    }
    timer_ = t;
  }
  if (timer_settime(*timer_, TIMER_ABSTIME, &spec, nullptr) != 0) {
    return ErrnoError("setting the recorder's wakeup timer");
  }
  return Status::Ok();
}

Status WakeupAlarm::SetBy(TimePoint deadline) {
  if (pending_ && *pending_ <= deadline && g_went_off.load(std::memory_order_relaxed) == 0) {
    return Status::Ok();
  }
  // Forget a going-off not taken: it was for a deadline this one replaces.
  g_went_off.store(0, std::memory_order_relaxed);
  itimerspec spec{};
  // A zero it_value disarms: a deadline at the clock's epoch is long past.
  spec.it_value = ToTimespec(std::max(deadline.time_since_epoch(), std::chrono::nanoseconds(1)));
  spec.it_interval = ToTimespec(kRepeat);
  RETURN_IF_ERROR(SetTimer(spec));
  pending_ = deadline;
  repeating_ = false;
  return Status::Ok();
}

bool WakeupAlarm::TakeWentOff() {
  if (g_went_off.exchange(0, std::memory_order_relaxed) == 0) return false;
  pending_.reset();
  repeating_ = true;
  return true;
}

Status WakeupAlarm::EndRepeats() {
  if (!repeating_) return Status::Ok();
  RETURN_IF_ERROR(SetTimer(itimerspec{}));
  repeating_ = false;
  return Status::Ok();
}

}  // namespace rwd
