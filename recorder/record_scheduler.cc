// RecordScheduler: which thread runs next, and for how long.
#include "recorder/record_scheduler.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "core/clock.h"
#include "recorder/record_session.h"
#include "recorder/stop_request.h"

namespace rwd::recorder {

namespace {

// How long a thread runs while another waits before it is switched away
// from: at its next event if it reaches one, by a PreemptEvent otherwise.
constexpr auto kTimeSlice = std::chrono::milliseconds(10);
// How long a syscall may take while another thread waits before the
// scheduler assumes it blocks and lets the other one run.
constexpr auto kSyscallPatience = std::chrono::milliseconds(2);
// A spinning thread's slice (RecordTask::spinning).
constexpr auto kSpinSlice = std::chrono::microseconds(200);
// How long after its slice's end a thread may run on to its next event
// boundary, where switching away costs no SIGSTOP and no PreemptEvent,
// before it is stopped where it is. Chaos mode's and a spinning thread's
// are shorter, as their slices are.
constexpr auto kBoundaryGrace = std::chrono::milliseconds(2);
constexpr auto kChaosBoundaryGrace = std::chrono::microseconds(100);
constexpr auto kSpinBoundaryGrace = kSpinSlice;

}  // namespace

void RecordScheduler::StartSlice(RecordTask& task) {
  last_scheduled_ = task.tid();
  // A spinning thread's slice, and chaos mode's short ones, are far shorter
  // than the coarse clock's tick (4 ms here), which would make them last up
  // to a tick longer, or end at once.
  precise_slice_ = chaos_ || task.spinning;
  task.slice_start = SliceNow();
  slice_ = chaos_          ? std::chrono::steady_clock::duration(chaos_->SliceLength())
           : task.spinning ? std::chrono::steady_clock::duration(kSpinSlice)
                           : std::chrono::steady_clock::duration(kTimeSlice);
  grace_ = chaos_          ? std::chrono::steady_clock::duration(kChaosBoundaryGrace)
           : task.spinning ? std::chrono::steady_clock::duration(kSpinBoundaryGrace)
                           : std::chrono::steady_clock::duration(kBoundaryGrace);
}

std::chrono::steady_clock::time_point RecordScheduler::SliceNow() const {
  return precise_slice_ ? MonotonicNow() : CoarseNow();
}

bool RecordScheduler::SwitchAtBoundary(const RecordTask& task) {
  bool slice_over =
      SliceNow() - task.slice_start > slice_ || (chaos_ && chaos_->SwitchAtBoundary());
  return slice_over && OthersReady(task);
}

bool RecordScheduler::SwitchBeforeSyscall(const RecordTask& task) {
  return chaos_ && OthersReady(task) && chaos_->SwitchBeforeSyscall();
}

Status RecordScheduler::TakeWakeupError() { return std::exchange(deferred_error_, Status::Ok()); }

void RecordScheduler::ProcessEnded(pid_t tgid) {
  if (dying_ == tgid) dying_ = 0;
}

void RecordScheduler::SwitchAway(RecordTask& task) {
  task.state = RecordTask::State::kStopped;
  task.preempt_wanted = false;
  if (s_.current_ == &task) s_.current_ = nullptr;
}

bool RecordScheduler::Ready(const RecordTask& task) const {
  return task.state == RecordTask::State::kStopped && !task.zombie && task.tgid != dying_ &&
         task.vfork_child == 0;
}

bool RecordScheduler::OthersReady(const RecordTask& task) const {
  return std::any_of(s_.tasks_.begin(), s_.tasks_.end(),
                     [&](const auto& t) { return t.get() != &task && Ready(*t); });
}

RecordTask* RecordScheduler::PickNext() {
  // While a process dies its threads are not scheduled: their deaths come
  // first, so the process's end is one event.
  if (dying_ != 0) return nullptr;
  if (chaos_) {
    // The thread just switched away from runs again only when no other
    // can: its switch would otherwise be an event that changes nothing.
    std::vector<pid_t> ready;
    std::vector<RecordTask*> ready_tasks;
    RecordTask* last = nullptr;
    for (const auto& t : s_.tasks_) {
      if (!Ready(*t)) continue;
      if (t->tid() == last_scheduled_) {
        last = t.get();
        continue;
      }
      ready.push_back(t->tid());
      ready_tasks.push_back(t.get());
    }
    return ready.empty() ? last : ready_tasks[chaos_->Pick(ready)];
  }
  size_t n = s_.tasks_.size();
  size_t start = 0;
  for (size_t i = 0; i < n; ++i) {
    if (s_.tasks_[i]->tid() == last_scheduled_) start = i + 1;
  }
  for (size_t k = 0; k < n; ++k) {
    RecordTask& t = *s_.tasks_[(start + k) % n];
    if (Ready(t)) return &t;
  }
  return nullptr;
}

Expected<std::optional<WaitStatus>> RecordScheduler::WaitForStop() {
  if (alarm_.TakeWentOff()) {
    // It went off while the recorder was busy: the deadline passed, act at
    // once rather than wait for a stop that may never come.
    if (OnAlarm()) return std::optional<WaitStatus>();
  } else {
    RETURN_IF_ERROR(SetAlarm());
  }
  return stops_->Next([&]() {
    if (StopRequests::Pending()) return true;
    return alarm_.TakeWentOff() && OnAlarm();
  });
}

std::optional<std::chrono::steady_clock::time_point> RecordScheduler::NextDeadline() const {
  if (!s_.current_) return std::nullopt;
  const RecordTask& task = *s_.current_;
  // Mirrors OnWakeup: a deadline it would not act on would only wake it.
  if (task.state == RecordTask::State::kInSyscall) {
    if (!OthersReady(task)) return std::nullopt;
    return task.syscall_start + kSyscallPatience;
  }
  if (task.state != RecordTask::State::kRunning || task.stop_sent) return std::nullopt;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (!task.deferred.empty()) deadline = task.defer_deadline;
  if (OthersReady(task)) {
    auto preempt_at = task.slice_start + slice_ + grace_;
    deadline = deadline ? std::min(*deadline, preempt_at) : preempt_at;
  }
  return deadline;
}

Status RecordScheduler::SetAlarm() {
  std::optional<std::chrono::steady_clock::time_point> deadline = NextDeadline();
  return deadline ? alarm_.SetBy(*deadline) : alarm_.EndRepeats();
}

bool RecordScheduler::OnAlarm() {
  if (NextDeadline() && OnWakeup()) return true;  // the next wait sets the alarm
  // A deadline that is still due had its stop fail to be sent (the thread
  // is dying): the alarm's repeats look again, not a loop of alarms.
  std::optional<std::chrono::steady_clock::time_point> deadline = NextDeadline();
  Status s = !deadline                      ? alarm_.EndRepeats()
             : *deadline <= MonotonicNow() ? Status::Ok()
                                           : alarm_.SetBy(*deadline);
  if (s.ok()) return false;
  deferred_error_ = s;
  return true;
}

bool RecordScheduler::OnWakeup() {
  if (!s_.current_) return true;
  RecordTask& task = *s_.current_;
  // The alarm runs on CLOCK_MONOTONIC; the deadlines are judged on it too,
  // so that one is never seen as not yet due when its alarm goes off. A
  // deadline set from the coarse clock is then up to a tick early.
  auto now = MonotonicNow();
  if (task.state == RecordTask::State::kInSyscall) {
    if (!OthersReady(task) || now - task.syscall_start < kSyscallPatience) {
      return false;
    }
    // It blocks (or takes long): let another thread run meanwhile.
    Status s = s_.syscalls_.RecordSyscallEntry(task);
    if (!s.ok()) {
      deferred_error_ = s;
      return true;
    }
    task.state = RecordTask::State::kBlocked;
    s_.current_ = nullptr;
    return true;
  }
  if (task.state != RecordTask::State::kRunning || task.stop_sent) return false;
  bool place_signal = !task.deferred.empty() && now >= task.defer_deadline;
  bool preempt = now >= task.slice_start + slice_ + grace_ && OthersReady(task);
  if (place_signal || preempt) {
    // The thread reached no event in time (it may spin waiting for the
    // very handler we hold back, or for another thread): stop it where it is.
    if (syscall(SYS_tgkill, task.tgid, task.tid(), SIGSTOP) == 0) {
      task.stop_sent = true;
      task.preempt_wanted = preempt;
    }
  }
  return false;
}

}  // namespace rwd::recorder
