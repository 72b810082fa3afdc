// setitimer(ITIMER_REAL) interrupts a compute loop 50 times; the handler
// counts and records how far the loop had got, so replay must deliver each
// SIGALRM at the same point to print the same numbers.
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>

static volatile sig_atomic_t g_ticks = 0;
static volatile unsigned long g_progress = 0;
static unsigned long g_seen[50];

static void OnAlarm(int signo) {
  (void)signo;
  if (g_ticks < 50) g_seen[g_ticks] = g_progress;
  g_ticks++;
}

int main(void) {
  struct sigaction sa = {0};
  sa.sa_handler = OnAlarm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval t = {{0, 2000}, {0, 2000}};  // every 2 ms
  setitimer(ITIMER_REAL, &t, NULL);
  while (g_ticks < 50) {
    for (int k = 0; k < 1000; ++k) g_progress += (unsigned long)k % 7;
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  unsigned long sum = 0;
  for (int i = 0; i < 50; ++i) sum = sum * 31 + g_seen[i];
  printf("timer_compute: %d ticks, progress checksum %lu, last %lu\n", (int)g_ticks, sum,
         g_seen[49]);
  return 0;
}
