#include "console/interrupt.h"

#include <signal.h>

#include <atomic>

namespace rwd::console {

namespace {

std::atomic<bool> interrupted{false};

void OnInterrupt(int) { interrupted.store(true); }

}  // namespace

void InstallInterruptHandler() {
  struct sigaction sa = {};
  sa.sa_handler = OnInterrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
}

bool TakeInterrupt() { return interrupted.exchange(false); }

}  // namespace rwd::console
