// Spins without syscalls until a 20 ms timer's SIGALRM handler sets a
// flag, four rounds. Replay places each signal inside the loop with an
// in-process probe, whose patch may displace the first instruction of the
// line after the loop, where the test puts a debugger breakpoint
// (tests/e2e/gdb_probe_breakpoint_test.cc). Built -O0: the counter lives on
// the stack, so the loop's registers repeat on every pass.
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>

static volatile sig_atomic_t g_flag = 0;

static void OnAlarm(int signo) {
  (void)signo;
  g_flag = 1;
}

int main(void) {
  signal(SIGALRM, OnAlarm);
  const struct itimerval once = {{0, 0}, {0, 20000}};
  for (int round = 0; round < 4; ++round) {
    g_flag = 0;
    setitimer(ITIMER_REAL, &once, NULL);
    unsigned long spins = 0;
    while (!g_flag) spins++;                         // @loop
    printf("round %d: %lu spins\n", round, spins);  // @after-loop
  }
  return 0;
}
