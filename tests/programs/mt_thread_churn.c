// Thread creation under load: waves of 100 threads, each computing a little
// and making one syscall, joined at the end of every wave. Thread starts
// (clone, set_robust_list, rseq, the parent's rt_sigprocmask) interleave
// with running threads as often as a program can make them.
// Prints one checksum that does not depend on scheduling.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { kThreads = 100 };

static long results[kThreads];

static void* Work(void* arg) {
  long id = (long)arg;
  long sum = 0;
  for (long i = 0; i < 2000 * (id % 7 + 1); ++i) sum += i ^ id;
  results[id] = sum + (getppid() > 0);
  return NULL;
}

int main(int argc, char** argv) {
  int waves = argc > 1 ? atoi(argv[1]) : 3;
  long total = 0;
  for (int w = 0; w < waves; ++w) {
    pthread_t threads[kThreads];
    for (long i = 0; i < kThreads; ++i) {
      if (pthread_create(&threads[i], NULL, Work, (void*)i) != 0) return 1;
    }
    for (int i = 0; i < kThreads; ++i) pthread_join(threads[i], NULL);
    for (int i = 0; i < kThreads; ++i) total += results[i];
  }
  printf("mt_thread_churn: %d waves, checksum %ld\n", waves, total);
  return 0;
}
