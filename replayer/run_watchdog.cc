#include "replayer/run_watchdog.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <thread>

namespace rwd::replayer {

namespace {

constexpr auto kSampleEvery = std::chrono::milliseconds(250);

}  // namespace

RunWatchdog& RunWatchdog::Get() {
  // Never destroyed: its thread runs until the process ends.
  static RunWatchdog* watchdog = new RunWatchdog();
  return *watchdog;
}

void RunWatchdog::Running(pid_t tid, uint64_t event, std::function<std::string()> describe) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_) {
    started_ = true;
    // Created with every signal blocked, it inherits that mask: a SIGALRM
    // of the wakeup timer must interrupt the replaying thread's wait.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    std::thread([this] { Watch(); }).detach();
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  if (tid != tid_ || event != event_) {
    tid_ = tid;
    event_ = event;
    ran_ms_ = 0;
    warned_ = false;
  }
  describe_ = std::move(describe);
  running_ = true;
}

void RunWatchdog::Stopped() {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
}

void RunWatchdog::Watch() {
  while (true) {
    std::this_thread::sleep_for(kSampleEvery);
    std::lock_guard<std::mutex> lock(mu_);
    if (!running_ || warned_) continue;
    ran_ms_ += kSampleEvery.count();
    if (ran_ms_ < kPatienceSeconds * 1000) continue;
    warned_ = true;
    fprintf(stderr, "rewind: %s\n", describe_().c_str());
  }
}

}  // namespace rwd::replayer
