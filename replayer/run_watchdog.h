// RunWatchdog: says when a replayed thread has run for a long time toward
// its next event without reaching it. A replay that diverged in memory only
// (a loop whose registers repeat, ended by a signal's handler that replay
// delivered on another pass) can run the program forever, with no stop for
// the replayer to notice; so can a fingerprint search whose point never
// comes. Either way the user must hear of it rather than watch a silent hang.
//
// One process-wide instance whose thread (all signals blocked, so that the
// replayer's wakeup timer interrupts its own waits) samples what the
// replaying thread does; Running and Stopped cost no syscall, so every
// resume may call them. Only running time counts: a debugger's stop at the
// same event (a user reading the source) does not.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace rwd::replayer {

class RunWatchdog {
 public:
  // The time a thread may run toward one event before the warning.
  static constexpr int kPatienceSeconds = 10;

  static RunWatchdog& Get();

  // Thread `tid` runs (again) toward event `event`; `describe` gives the
  // warning's text when it is due (called on the watchdog's thread, while
  // the replaying thread waits in Stopped's absence: it must only read what
  // stays put during the run).
  void Running(pid_t tid, uint64_t event, std::function<std::string()> describe);
  // The run ended (the thread stopped).
  void Stopped();

 private:
  RunWatchdog() = default;
  void Watch();

  std::mutex mu_;
  bool started_ = false;
  bool running_ = false;
  pid_t tid_ = 0;
  uint64_t event_ = ~uint64_t{0};
  int64_t ran_ms_ = 0;  // sampled running time toward event_
  bool warned_ = false;
  std::function<std::string()> describe_;
};

}  // namespace rwd::replayer
