// SIGALRM from setitimer(ITIMER_REAL) interrupts a compute loop 50 times
// (issue #6). The timer is one-shot and the handler re-arms it until it has
// run 50 times, so there is never a second SIGALRM pending: the handler runs
// exactly 50 times however slow the run. (timer_compute.c uses a periodic
// timer, which can fire a 51st time before it is disarmed.)
//
// The loop computes a checksum over a fixed number of iterations, then
// keeps spinning until the 50th tick; the handler notes how far the loop
// had got at each tick. Printed:
//   sig_itimer_compute: handler ran 50 times, compute checksum N
//       the same in every run
//   sig_itimer_compute: progress at ticks: checksum N, first N, last N
//       depends on when the signals came: replay must reproduce the recording's
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>

enum { kTicks = 50 };
static const uint64_t kFixedIterations = 20000000;
static const struct itimerval kOneShot = {{0, 0}, {0, 2000}};  // 2 ms, not repeating

static volatile sig_atomic_t g_ticks = 0;
static volatile uint64_t g_progress = 0;
static uint64_t g_seen[kTicks];

static void OnAlarm(int signo) {
  (void)signo;
  if (g_ticks < kTicks) g_seen[g_ticks] = g_progress;
  g_ticks++;
  if (g_ticks < kTicks) setitimer(ITIMER_REAL, &kOneShot, NULL);
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_handler = OnAlarm;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  setitimer(ITIMER_REAL, &kOneShot, NULL);

  uint64_t checksum = 1, scratch = 1, i = 0;
  while (i < kFixedIterations || g_ticks < kTicks) {
    if (i < kFixedIterations) {
      checksum = (checksum ^ i) * 0x100000001b3ull;
    } else {
      scratch = (scratch ^ i) * 0x100000001b3ull;
    }
    g_progress = ++i;
  }

  uint64_t progress_sum = 0;
  for (int t = 0; t < kTicks; ++t) progress_sum = progress_sum * 31 + g_seen[t];
  printf("sig_itimer_compute: handler ran %d times, compute checksum %llu\n", (int)g_ticks,
         (unsigned long long)checksum);
  printf("sig_itimer_compute: progress at ticks: checksum %llu, first %llu, last %llu\n",
         (unsigned long long)progress_sum, (unsigned long long)g_seen[0],
         (unsigned long long)g_seen[kTicks - 1]);
  (void)scratch;
  return 0;
}
