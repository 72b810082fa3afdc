// A 1 ms ITIMER_REAL interrupting a tight compute loop 100 times: how fast
// a signal held back by the recorder reaches a thread that makes no
// syscalls (issue 13). Natively ~0.1 s.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>

enum { kTicks = 100 };

static volatile sig_atomic_t g_ticks = 0;
static const struct itimerval kOff = {{0, 0}, {0, 0}};

static void OnAlarm(int signo) {
  (void)signo;
  if (++g_ticks == kTicks) setitimer(ITIMER_REAL, &kOff, NULL);
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_handler = OnAlarm;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  const struct itimerval every_ms = {{0, 1000}, {0, 1000}};
  setitimer(ITIMER_REAL, &every_ms, NULL);
  uint64_t x = 1, iterations = 0;
  while (g_ticks < kTicks) {
    x = (x ^ iterations) * 0x100000001b3ull;
    ++iterations;
  }
  setitimer(ITIMER_REAL, &kOff, NULL);
  printf("itimer_loop: %d ticks\n", (int)g_ticks);
  return (int)(x & 0);
}
