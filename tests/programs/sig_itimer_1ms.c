// A periodic 1 ms ITIMER_REAL interrupts a tight compute loop (issue 13).
// The handler only counts; the loop polls the count and disarms the timer
// once it reaches 100. Natively this takes ~0.1 s; under rewind each tick
// must reach the loop within milliseconds, or the loop spins that much
// longer. A standard signal does not queue: one more tick can be pending
// when the handler disarms the timer, so the handler runs 100 or 101 times,
// never more (a recorder holding signals back must merge them as the
// kernel does).
//
// Printed: "sig_itimer_1ms: ticks=N iterations=M" (N is 100 or 101; M
// depends on timing, and replay must reproduce the recording's).
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

enum { kTicks = 100 };

static volatile sig_atomic_t g_ticks = 0;
static const struct itimerval kOff = {{0, 0}, {0, 0}};

static void OnAlarm(int signo) {
  (void)signo;
  // Disarmed here too, while SIGALRM is blocked: at most one more tick can
  // be pending then, however slowly the handler or the loop runs.
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
  // A tick that was pending when the timer stopped arrives by now.
  struct timespec settle = {0, 5000000};
  nanosleep(&settle, NULL);
  printf("sig_itimer_1ms: ticks=%d iterations=%llu\n", (int)g_ticks,
         (unsigned long long)(iterations + (x & 0)));
  return g_ticks <= kTicks + 1 ? 0 : 1;
}
