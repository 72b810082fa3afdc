#include "recorder/stop_request.h"

#include <signal.h>

#include <atomic>

namespace rwd::recorder {

namespace {

// One slot per signal is enough: a request repeated before the recorder
// looked is one request.
std::atomic<int> g_pending{0};

void OnStopSignal(int signo, siginfo_t* info, void*) {
  if (info && info->si_code == SI_KERNEL) return;  // from the terminal: the program has it
  int expected = 0;
  g_pending.compare_exchange_strong(expected, signo);
}

}  // namespace

void StopRequests::Install() {
  struct sigaction sa {};
  sa.sa_sigaction = OnStopSignal;
  sa.sa_flags = SA_SIGINFO;  // no SA_RESTART: interrupt waitpid
  sigemptyset(&sa.sa_mask);
  for (int signo : {SIGTERM, SIGINT, SIGHUP}) sigaction(signo, &sa, nullptr);
}

int StopRequests::Take() { return g_pending.exchange(0); }

bool StopRequests::Pending() { return g_pending.load() != 0; }

}  // namespace rwd::recorder
