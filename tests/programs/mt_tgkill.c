// Signals between threads: main sends SIGUSR1 to a worker with
// pthread_kill (tgkill) five times, each after the worker acknowledged the
// previous one; the worker busy-waits (no syscalls) between signals, so the
// recorder must place each delivery inside its loop. Output does not depend
// on timing.
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

enum { kSignals = 5 };

static atomic_int g_received = 0;
static atomic_int g_ready = 0;
static pthread_t g_main;

static void OnUsr1(int signo) {
  (void)signo;
  // Only the worker may run this: a signal to the wrong thread shows.
  if (pthread_equal(pthread_self(), g_main)) _exit(9);
  atomic_fetch_add(&g_received, 1);
}

static void* Worker(void* arg) {
  (void)arg;
  atomic_store(&g_ready, 1);
  unsigned long passes = 0;
  while (atomic_load(&g_received) < kSignals) passes++;
  return (void*)(passes > 0 ? 1L : 0L);
}

int main(void) {
  g_main = pthread_self();
  signal(SIGUSR1, OnUsr1);
  pthread_t worker;
  pthread_create(&worker, NULL, Worker, NULL);
  while (!atomic_load(&g_ready)) usleep(100);
  for (int i = 0; i < kSignals; ++i) {
    pthread_kill(worker, SIGUSR1);
    // Standard signals merge: wait for this one before the next.
    while (atomic_load(&g_received) < i + 1) usleep(200);
    printf("mt_tgkill: worker handled signal %d\n", i + 1);
  }
  void* spun = NULL;
  pthread_join(worker, &spun);
  printf("mt_tgkill: worker spun between signals: %s\n", spun ? "yes" : "no");
  return 0;
}
