// A worker thread stores through a bad pointer while two other threads
// wait on a condition variable and main waits in pthread_join (issue 10):
// the whole process dies of SIGSEGV at address 0x1234.
//
// Prints (stdout flushed before the crash, one line on stderr):
//   mt_worker_segv: waiter 0 ready
//   mt_worker_segv: waiter 1 ready
//   mt_worker_segv: worker about to write to 0x1234   (stderr)
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int g_ready;

static void* Wait(void* arg) {
  (void)arg;
  pthread_mutex_lock(&g_lock);
  g_ready++;
  pthread_cond_broadcast(&g_cond);
  for (;;) pthread_cond_wait(&g_cond, &g_lock);
  return NULL;
}

static void CrashInWorker(void) { *(volatile int*)0x1234 = 1; }

static void* Work(void* arg) {
  (void)arg;
  static const char kMsg[] = "mt_worker_segv: worker about to write to 0x1234\n";
  if (write(STDERR_FILENO, kMsg, strlen(kMsg)) < 0) return NULL;
  CrashInWorker();
  return NULL;
}

int main(void) {
  pthread_t waiters[2], worker;
  for (int i = 0; i < 2; ++i) {
    if (pthread_create(&waiters[i], NULL, Wait, NULL) != 0) return 1;
    pthread_mutex_lock(&g_lock);
    while (g_ready <= i) pthread_cond_wait(&g_cond, &g_lock);
    pthread_mutex_unlock(&g_lock);
    printf("mt_worker_segv: waiter %d ready\n", i);
  }
  fflush(stdout);
  if (pthread_create(&worker, NULL, Work, NULL) != 0) return 1;
  pthread_join(worker, NULL);
  printf("mt_worker_segv: unreachable\n");
  return 0;
}
