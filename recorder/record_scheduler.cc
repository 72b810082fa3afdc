// RecordScheduler: which thread runs next, and for how long.
#include "recorder/record_scheduler.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "core/clock.h"
#include "core/proc_signal_masks.h"
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
// How often a wait for the running thread wakes up to check the time slice,
// the syscall patience and deferred signals' deadlines.
constexpr auto kWakeupPeriod = std::chrono::milliseconds(2);
// Chaos mode's slices can be far shorter; it checks them more often.
constexpr auto kChaosWakeupPeriod = std::chrono::microseconds(100);
// How often a wait with no thread running looks for a SIGCONT sent to a
// process stopped by job control (RecordScheduler::WakeContinued).
constexpr auto kJobStopPollPeriod = std::chrono::milliseconds(10);
// A spinning thread's slice (RecordTask::spinning), checked as often.
constexpr auto kSpinSlice = std::chrono::microseconds(200);
// How long a thread alone in its process runs while another waits before
// it is stopped where it is, when it reaches no event: such a stop walks it
// to a probe site, 5-10 ms of single steps and code checks in a compiler
// (make -j2 of 12 files: 45 stops, a third of the recorder's time). After
// kTimeSlice it is still switched away from at its next event. Other
// processes see what it does through its syscalls, which are events, or
// through memory they share with it, where a longer slice only delays what
// they see, as a busy machine would. Not while a snapshot is due: it
// waits until every other process is inside a syscall, which a stopped
// process that has yet to reach one (a parent about to wait for the child
// that runs) does sooner with the short slice.
constexpr auto kLoneThreadSlice = std::chrono::milliseconds(50);

}  // namespace

void RecordScheduler::StartSlice(RecordTask& task) {
  last_scheduled_ = task.tid();
  // A spinning thread's slice is far shorter than the coarse clock's tick
  // (4 ms here), which would make it last up to a tick.
  precise_slice_ = !chaos_ && task.spinning;
  task.slice_start = SliceNow();
  slice_ = chaos_          ? std::chrono::steady_clock::duration(chaos_->SliceLength())
           : task.spinning ? std::chrono::steady_clock::duration(kSpinSlice)
                           : std::chrono::steady_clock::duration(kTimeSlice);
}

std::chrono::steady_clock::duration RecordScheduler::StopAfter(const RecordTask& task) const {
  if (chaos_ || task.spinning || s_.snapshots_.due()) return slice_;
  bool alone = std::none_of(s_.tasks_.begin(), s_.tasks_.end(), [&](const auto& t) {
    return t.get() != &task && t->tgid == task.tgid;
  });
  return alone ? std::max<std::chrono::steady_clock::duration>(slice_, kLoneThreadSlice) : slice_;
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
  if (task.state != RecordTask::State::kStopped || task.zombie || task.tgid == dying_ ||
      task.vfork_child != 0) {
    return false;
  }
  auto process = s_.processes_.find(task.tgid);
  return process == s_.processes_.end() || !process->second.exec_caller ||
         process->second.exec_caller == &task;
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

bool RecordScheduler::AnyJobStopped() const {
  return std::any_of(s_.tasks_.begin(), s_.tasks_.end(), [](const auto& t) {
    return t->state == RecordTask::State::kJobStopped;
  });
}

bool RecordScheduler::WakeContinued() {
  bool woke = false;
  for (const auto& t : s_.tasks_) {
    if (t->state != RecordTask::State::kJobStopped) continue;
    uint64_t pending = ProcSignalMask(t->tid(), "ShdPnd") | ProcSignalMask(t->tid(), "SigPnd");
    if (!HasSignal(pending, SIGCONT)) continue;
    // Resumed, it receives the SIGCONT (a signal-delivery stop, recorded as
    // any signal); every thread of its process goes on.
    t->state = RecordTask::State::kStopped;
    woke = true;
  }
  return woke;
}

Expected<std::optional<WaitStatus>> RecordScheduler::WaitForStop() {
  bool timed = s_.current_ &&
               (!s_.current_->deferred.empty() ||
                (s_.current_->state != RecordTask::State::kExiting && OthersReady(*s_.current_)));
  bool job_stopped = AnyJobStopped();
  if (!timed && !job_stopped) {
    // A thread alone whose calls may all be buffered: wake up when a
    // snapshot is due, to ask it for a boundary.
    std::optional<std::chrono::microseconds> boundary =
        s_.current_ ? s_.snapshots_.BoundaryWakeup(*s_.current_) : std::nullopt;
    if (boundary) {
      return stops_->Next(*boundary, [&]() {
        s_.snapshots_.AskForBoundary(*s_.current_);
        return StopRequests::Pending();
      });
    }
    return stops_->Next(std::nullopt, []() { return StopRequests::Pending(); });
  }
  if (!s_.current_) {
    // Only stopped processes: wait for a SIGCONT, or any other stop.
    return stops_->Next(std::chrono::microseconds(kJobStopPollPeriod),
                        [&]() { return WakeContinued() || StopRequests::Pending(); });
  }
  std::chrono::microseconds period = chaos_ ? std::chrono::microseconds(kChaosWakeupPeriod)
                                     : s_.current_->spinning
                                         ? std::chrono::microseconds(kSpinSlice)
                                         : std::chrono::microseconds(kWakeupPeriod);
  return stops_->Next(period, [&]() { return OnWakeup() || StopRequests::Pending(); });
}

bool RecordScheduler::OnWakeup() {
  if (!s_.current_) return true;
  // A process the running thread continued (kill(pid, SIGCONT)) competes
  // for the CPU again, e.g. while that thread waits for it.
  if (AnyJobStopped()) WakeContinued();
  RecordTask& task = *s_.current_;
  if (task.state == RecordTask::State::kInSyscall) {
    if (!OthersReady(task) || MonotonicNow() - task.syscall_start < kSyscallPatience) {
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
  s_.snapshots_.AskForBoundary(task);
  auto now = CoarseNow();
  bool place_signal = !task.deferred.empty() && now >= task.defer_deadline;
  bool preempt = SliceNow() - task.slice_start > StopAfter(task) && OthersReady(task);
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
