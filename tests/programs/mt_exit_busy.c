// main returns while two other threads are still alive: one spins on a
// counter (never reaching a syscall), one sleeps in nanosleep. The kernel
// reports the leader's death only after the other threads are reaped, so a
// tracer waiting for the leader alone waits forever (issue 10).
//
// Prints:
//   mt_exit_busy: spinner started
//   mt_exit_busy: sleeper started
//   mt_exit_busy: main returns 3
// and exits with status 3.
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long g_spins;
static volatile int g_spinner_up, g_sleeper_up;

static void* Spin(void* arg) {
  (void)arg;
  g_spinner_up = 1;
  for (;;) g_spins++;
  return NULL;
}

static void* Sleep(void* arg) {
  (void)arg;
  g_sleeper_up = 1;
  for (;;) {
    struct timespec ts = {60, 0};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

int main(void) {
  pthread_t spinner, sleeper;
  if (pthread_create(&spinner, NULL, Spin, NULL) != 0) return 1;
  while (!g_spinner_up) sched_yield();
  printf("mt_exit_busy: spinner started\n");
  if (pthread_create(&sleeper, NULL, Sleep, NULL) != 0) return 1;
  while (!g_sleeper_up) sched_yield();
  printf("mt_exit_busy: sleeper started\n");
  printf("mt_exit_busy: main returns 3\n");
  return 3;
}
