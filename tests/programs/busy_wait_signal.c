// Busy-waits (no syscalls) until its SIGALRM handler sets a flag: the
// recorder cannot move the signal to a later syscall and must place it by
// fingerprint. Prints how many spins it took, which replay must reproduce.
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t g_flag = 0;

static void OnAlarm(int signo) {
  (void)signo;
  g_flag = 1;
}

int main(void) {
  signal(SIGALRM, OnAlarm);
  for (int round = 0; round < 3; ++round) {
    g_flag = 0;
    alarm(1);
    unsigned long spins = 0;
    while (!g_flag) spins++;
    printf("busy_wait_signal: round %d took %lu spins\n", round, spins);
  }
  return 0;
}
