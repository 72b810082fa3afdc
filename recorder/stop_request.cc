#include "recorder/stop_request.h"

#include <signal.h>

#include <atomic>
#include <cstdint>

namespace rwd::recorder {

namespace {

// One slot is enough: a request repeated before the recorder looked is one
// request. Signal number and sender travel in one word so that Take() never
// pairs one request's signal with another's sender.
std::atomic<uint64_t> g_pending{0};

uint64_t Pack(int signo, pid_t sender) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(sender)) << 32) |
         static_cast<uint32_t>(signo);
}

void OnStopSignal(int signo, siginfo_t* info, void*) {
  if (info && info->si_code == SI_KERNEL) return;  // from the terminal: the program has it
  pid_t sender = (info && (info->si_code == SI_USER || info->si_code == SI_QUEUE)) ? info->si_pid : 0;
  uint64_t expected = 0;
  g_pending.compare_exchange_strong(expected, Pack(signo, sender));
}

// Default action terminate, core or stop, and sendable by a program to its
// process group. SIGALRM is left out: ScopedWakeupTimer handles it.
constexpr int kProgramGroupSignals[] = {SIGQUIT, SIGABRT, SIGTRAP,   SIGUSR1,   SIGUSR2,
                                        SIGPIPE, SIGTTIN, SIGTTOU,   SIGVTALRM, SIGPROF,
                                        SIGIO,   SIGPWR,  SIGSTKFLT, SIGXCPU,   SIGXFSZ};

}  // namespace

void StopRequests::Install() {
  struct sigaction sa {};
  sa.sa_sigaction = OnStopSignal;
  sa.sa_flags = SA_SIGINFO;  // no SA_RESTART: interrupt waitpid
  sigemptyset(&sa.sa_mask);
  for (int signo : {SIGTERM, SIGINT, SIGHUP}) sigaction(signo, &sa, nullptr);
  for (int signo : kProgramGroupSignals) signal(signo, SIG_IGN);
}

StopRequests::Request StopRequests::Take() {
  uint64_t packed = g_pending.exchange(0);
  return Request{static_cast<int>(packed & 0xffffffffu), static_cast<pid_t>(packed >> 32)};
}

bool StopRequests::Pending() { return g_pending.load() != 0; }

}  // namespace rwd::recorder
