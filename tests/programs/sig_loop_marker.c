// A global written before a syscall-free loop that a timer signal ends:
// the signal is placed by fingerprint, which hashes the executable's data,
// the page of g_marker included. A test watches g_marker and goes back to
// its write across that placement, with the page protected by the
// replayer's watchpoint (the placement must not depend on it).
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>

static volatile sig_atomic_t g_flag = 0;
static volatile int g_marker = 0;

static void OnAlarm(int signo) {
  (void)signo;
  g_flag = 1;
}

int main(void) {
  signal(SIGALRM, OnAlarm);
  g_marker = 42;  // MARKER
  struct itimerval once = {{0, 0}, {0, 100000}};
  setitimer(ITIMER_REAL, &once, NULL);
  volatile unsigned long spins = 0;
  while (!g_flag) spins++;
  printf("sig_loop_marker: marker %d after %lu spins\n", g_marker, (unsigned long)spins);
  return 0;
}
