// Benchmark workload for threads (issue #6): a pool of 4 worker threads
// fed by main through a bounded queue (one mutex, two condition variables).
// Each job is a short computation, so the run mixes CPU work with a few
// thousand futex waits and wake-ups between threads. The printed sum does
// not depend on scheduling.
//   thread_pool [JOBS]    (default 20000)
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { kWorkers = 4, kSlots = 16, kJobIterations = 4000 };

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_not_full = PTHREAD_COND_INITIALIZER;
static uint64_t g_queue[kSlots];
static int g_head = 0, g_count = 0, g_closed = 0;
static uint64_t g_sums[kWorkers];

static uint64_t Job(uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < kJobIterations; ++i) x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9ull + 1;
  return x & 0xffff;
}

static void* Worker(void* arg) {
  int self = (int)(intptr_t)arg;
  for (;;) {
    pthread_mutex_lock(&g_lock);
    while (g_count == 0 && !g_closed) pthread_cond_wait(&g_not_empty, &g_lock);
    if (g_count == 0) {
      pthread_mutex_unlock(&g_lock);
      return NULL;
    }
    uint64_t seed = g_queue[g_head];
    g_head = (g_head + 1) % kSlots;
    g_count--;
    pthread_cond_signal(&g_not_full);
    pthread_mutex_unlock(&g_lock);
    g_sums[self] += Job(seed);
  }
}

int main(int argc, char** argv) {
  int jobs = argc > 1 ? atoi(argv[1]) : 20000;
  pthread_t workers[kWorkers];
  for (int w = 0; w < kWorkers; ++w) {
    if (pthread_create(&workers[w], NULL, Worker, (void*)(intptr_t)w) != 0) {
      perror("pthread_create");
      return 1;
    }
  }
  for (int j = 0; j < jobs; ++j) {
    pthread_mutex_lock(&g_lock);
    while (g_count == kSlots) pthread_cond_wait(&g_not_full, &g_lock);
    g_queue[(g_head + g_count) % kSlots] = (uint64_t)j;
    g_count++;
    pthread_cond_signal(&g_not_empty);
    pthread_mutex_unlock(&g_lock);
  }
  pthread_mutex_lock(&g_lock);
  g_closed = 1;
  pthread_cond_broadcast(&g_not_empty);
  pthread_mutex_unlock(&g_lock);

  uint64_t sum = 0;
  for (int w = 0; w < kWorkers; ++w) {
    pthread_join(workers[w], NULL);
    sum += g_sums[w];
  }
  printf("thread_pool: %d jobs on %d threads, sum %llu\n", jobs, kWorkers, (unsigned long long)sum);
  return 0;
}
