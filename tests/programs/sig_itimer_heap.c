// A 2 ms ITIMER_REAL interrupts a loop without syscalls whose handler
// changes only heap memory (issue 13): the tick count lives behind a
// pointer malloc returned, so neither the registers, the stack nor the
// executable's globals show that a tick came. The loop polls the count
// until kTicks ticks arrived; its iteration count, printed at the end,
// depends on where each tick landed, and replay must reproduce it.
//
// Printed: "sig_itimer_heap: ticks=N iterations=M" (N is kTicks or one
// more: a standard signal does not queue, and the handler disarms the
// timer at kTicks with SIGALRM blocked).
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

enum { kTicks = 60 };

struct Ticks {
  volatile sig_atomic_t count;
};

static struct Ticks* g_ticks;  // set once before the timer starts
static const struct itimerval kOff = {{0, 0}, {0, 0}};

static void OnAlarm(int signo) {
  (void)signo;
  if (++g_ticks->count == kTicks) setitimer(ITIMER_REAL, &kOff, NULL);
}

int main(void) {
  g_ticks = calloc(1, sizeof(*g_ticks));
  if (!g_ticks) return 1;
  struct sigaction sa = {0};
  sa.sa_handler = OnAlarm;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  const struct itimerval every_2ms = {{0, 2000}, {0, 2000}};
  setitimer(ITIMER_REAL, &every_2ms, NULL);

  uint64_t x = 1, iterations = 0;
  while (g_ticks->count < kTicks) {
    x = (x ^ iterations) * 0x100000001b3ull;
    ++iterations;
  }
  setitimer(ITIMER_REAL, &kOff, NULL);
  // A tick that was pending when the timer stopped arrives by now.
  struct timespec settle = {0, 5000000};
  nanosleep(&settle, NULL);
  printf("sig_itimer_heap: ticks=%d iterations=%llu\n", (int)g_ticks->count,
         (unsigned long long)(iterations + (x & 0)));
  return 0;
}
