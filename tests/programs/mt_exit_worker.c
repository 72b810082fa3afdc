// A worker thread calls exit() while main waits in pthread_join and a
// third thread waits on a condition variable (issue 10): exit() runs the
// atexit handlers and flushes stdio in the worker, then exit_group ends the
// others.
//
// Prints:
//   mt_exit_worker: waiter ready
//   mt_exit_worker: worker exits with 7
//   mt_exit_worker: atexit handler ran
// and exits with status 7.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int g_ready;

static void AtExit(void) { printf("mt_exit_worker: atexit handler ran\n"); }

static void* Wait(void* arg) {
  (void)arg;
  pthread_mutex_lock(&g_lock);
  g_ready = 1;
  pthread_cond_broadcast(&g_cond);
  for (;;) pthread_cond_wait(&g_cond, &g_lock);
  return NULL;
}

static void* Work(void* arg) {
  (void)arg;
  printf("mt_exit_worker: worker exits with 7\n");
  exit(7);
}

int main(void) {
  atexit(AtExit);
  pthread_t waiter, worker;
  if (pthread_create(&waiter, NULL, Wait, NULL) != 0) return 1;
  pthread_mutex_lock(&g_lock);
  while (!g_ready) pthread_cond_wait(&g_cond, &g_lock);
  pthread_mutex_unlock(&g_lock);
  printf("mt_exit_worker: waiter ready\n");
  fflush(stdout);
  if (pthread_create(&worker, NULL, Work, NULL) != 0) return 1;
  pthread_join(worker, NULL);
  printf("mt_exit_worker: unreachable\n");
  return 0;
}
