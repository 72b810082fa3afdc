// ChaosPolicy: randomized scheduling decisions for `record --chaos`, after
// rr's chaos mode. The recorder runs one thread at a time, which hides races
// that need two threads to interleave at a particular point; chaos mode makes
// the interleavings vary from one recording to the next:
//  - each time slice has a random length, from well under a millisecond
//    (the thread is preempted wherever it happens to be) to tens of ms;
//  - at an event boundary (a syscall's end) the running thread is sometimes
//    switched away from even though its slice is not over, and so it is at
//    a syscall's entry, before the syscall runs;
//  - threads get random priorities and the highest-priority ready thread
//    usually runs next, so a thread can starve for a while (priority
//    inversion); priorities are drawn again after a random number of picks.
// Every decision shows up in the trace as an ordinary switch or preemption,
// so replay needs nothing from here.
//
// Seeded from the kernel's random pool. Not thread-safe; one per session.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <random>
#include <span>

namespace rwd::recorder {

class ChaosPolicy {
 public:
  ChaosPolicy();

  // Length of the time slice a thread gets when it is scheduled.
  std::chrono::microseconds SliceLength();
  // Whether to switch away from a thread at an event boundary although its
  // slice is not over (only asked when another thread is ready).
  bool SwitchAtBoundary();
  // Whether to switch away from a thread at a syscall's entry, before the
  // syscall runs (only asked when another thread is ready).
  bool SwitchBeforeSyscall();
  // Index into `ready` (the tids of the threads ready to run; not empty) of
  // the one to run next.
  size_t Pick(std::span<const pid_t> ready);

 private:
  void RedrawPriorities(std::span<const pid_t> ready);

  std::mt19937_64 rng_;
  std::map<pid_t, int> priorities_;
  int picks_until_redraw_ = 0;
};

}  // namespace rwd::recorder
