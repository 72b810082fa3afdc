// RecordScheduler: a RecordSession's part that decides which thread runs
// and for how long. One thread runs its own code at a time; it keeps the
// CPU for a time slice (10 ms; 200 us, timed exactly, when it spins, which
// SpinTrap (spin_trap.h) usually ends sooner; random under chaos mode)
// while another thread is ready, then is switched away from at its next
// event boundary or stopped where it is (a PreemptEvent; for a thread alone
// in its process, only after 50 ms). A syscall
// that takes long while another thread waits lets that one run. The stops
// come from a StopSource (stop_source.h); the session's stop handlers
// handle them (record_scheduler.cc).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>

#include "core/wait_status.h"
#include "recorder/chaos_policy.h"
#include "recorder/record_part.h"
#include "recorder/stop_source.h"

namespace rwd::recorder {

class RecordScheduler : public RecordPart {
 public:
  explicit RecordScheduler(RecordSession& session)
      : RecordPart(session), stops_(std::make_unique<PtraceStopSource>()) {}

  // Randomized scheduling (ChaosPolicy) to make races show up.
  void EnableChaos() { chaos_.emplace(); }
  bool chaos() const { return chaos_.has_value(); }
  // The thread to run next; nullptr when none is ready.
  RecordTask* PickNext();
  // `task` was scheduled: its time slice starts.
  void StartSlice(RecordTask& task);
  // At an event boundary of the running `task`: whether to let another
  // thread run now (its slice is over and another is ready).
  bool SwitchAtBoundary(const RecordTask& task);
  // At a syscall entry of the running `task`: whether to let another thread
  // run before the syscall does (chaos mode only).
  bool SwitchBeforeSyscall(const RecordTask& task);
  // Leaves `task` stopped and lets the scheduler pick another thread.
  void SwitchAway(RecordTask& task);
  bool Ready(const RecordTask& task) const;
  bool OthersReady(const RecordTask& task) const;
  // The next stop; nullopt when the scheduler switched threads while
  // waiting (a syscall took long, see OnWakeup).
  Expected<std::optional<WaitStatus>> WaitForStop();
  // What went wrong while a wait woke up (Ok if nothing).
  Status TakeWakeupError();
  // A process whose threads are dying (exit_group, a fatal signal): none of
  // them is scheduled until its end is recorded.
  void set_dying(pid_t tgid) { dying_ = tgid; }
  pid_t dying() const { return dying_; }
  void ProcessEnded(pid_t tgid);

 private:
  // Runs every few ms while a wait blocks; true to stop waiting.
  bool OnWakeup();
  // Processes stopped by job control (RecordTask::State::kJobStopped): the
  // kernel does not wake a tracee from that stop, so their pending SIGCONT
  // is looked for in /proc; true if one made some ready again.
  bool AnyJobStopped() const;
  bool WakeContinued();

  std::unique_ptr<StopSource> stops_;
  std::optional<ChaosPolicy> chaos_;
  pid_t dying_ = 0;
  Status deferred_error_;  // from OnWakeup, reported by TakeWakeupError
  pid_t last_scheduled_ = 0;
  // Length of the current thread's time slice, and whether it is timed with
  // the exact clock (core/clock.h).
  std::chrono::steady_clock::duration slice_{};
  bool precise_slice_ = false;
  std::chrono::steady_clock::time_point SliceNow() const;
  // How long `task` runs while another waits before it is stopped where it
  // is: its slice, or longer for a thread alone in its process.
  std::chrono::steady_clock::duration StopAfter(const RecordTask& task) const;
};

}  // namespace rwd::recorder
