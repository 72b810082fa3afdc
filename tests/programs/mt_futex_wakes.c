// Futex wakes, which the syscall buffer runs without a ptrace stop (issue
// #12), between threads that block in traced futex waits.
//
// Phase 1, a bounded queue as in bench/thread_pool: main feeds 3000 jobs to
// 4 workers through one mutex and two condition variables, so glibc makes
// thousands of FUTEX_WAKEs (pthread_cond_signal, pthread_mutex_unlock).
// Which worker takes which job depends on scheduling: each worker's count is
// printed, and a replay must print the same.
// Phase 2, a doorbell rung with raw futex calls: the workers wait on a word
// (FUTEX_WAIT_PRIVATE); main bumps it and wakes them all (FUTEX_WAKE_PRIVATE)
// 300 times without waiting for them, so how many each wake finds waiting
// depends on scheduling too. After each wake main writes 1 + that many bytes
// to /dev/null: a wake's recorded result changed in the trace changes the
// next buffered call, which replay reports.
//   worker W: jobs N            (W = 0..3)
//   queue: sum N
//   doorbell: rings 300, woken N
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { kWorkers = 4, kSlots = 8, kJobs = 3000, kRings = 300 };

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_not_full = PTHREAD_COND_INITIALIZER;
static uint64_t g_queue[kSlots];
static int g_head = 0, g_count = 0, g_closed = 0;
static int g_jobs_done[kWorkers];
static uint64_t g_sums[kWorkers];

static uint32_t g_bell = 0;  // the ring number; kRings + 1 ends phase 2

static long Futex(uint32_t* word, int op, uint32_t value) {
  return syscall(SYS_futex, word, op, value, NULL, NULL, 0);
}

static uint64_t Job(uint64_t seed) {
  uint64_t x = seed;
  for (int i = 0; i < 500; ++i) x = (x ^ (x >> 29)) * 0xbf58476d1ce4e5b9ull + 1;
  return x & 0xffff;
}

static void TakeJobs(int self) {
  for (;;) {
    pthread_mutex_lock(&g_lock);
    while (g_count == 0 && !g_closed) pthread_cond_wait(&g_not_empty, &g_lock);
    if (g_count == 0) {
      pthread_mutex_unlock(&g_lock);
      return;
    }
    uint64_t seed = g_queue[g_head];
    g_head = (g_head + 1) % kSlots;
    g_count--;
    pthread_cond_signal(&g_not_full);
    pthread_mutex_unlock(&g_lock);
    g_sums[self] += Job(seed);
    g_jobs_done[self]++;
  }
}

static void AnswerDoorbell(void) {
  uint32_t seen = 0;
  while (seen <= kRings) {
    uint32_t now = __atomic_load_n(&g_bell, __ATOMIC_ACQUIRE);
    if (now == seen) {
      Futex(&g_bell, FUTEX_WAIT_PRIVATE, seen);  // EAGAIN if it rang meanwhile
      continue;
    }
    seen = now;
  }
}

static void* Worker(void* arg) {
  TakeJobs((int)(intptr_t)arg);
  AnswerDoorbell();
  return NULL;
}

int main(void) {
  pthread_t workers[kWorkers];
  for (int w = 0; w < kWorkers; ++w) {
    if (pthread_create(&workers[w], NULL, Worker, (void*)(intptr_t)w) != 0) {
      perror("pthread_create");
      return 1;
    }
  }
  for (int j = 0; j < kJobs; ++j) {
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

  int null_fd = open("/dev/null", O_WRONLY);
  if (null_fd < 0) {
    perror("/dev/null");
    return 1;
  }
  static const char kBytes[kWorkers + 1] = "rings";
  long woken = 0;
  for (uint32_t ring = 1; ring <= kRings + 1; ++ring) {
    __atomic_store_n(&g_bell, ring, __ATOMIC_RELEASE);
    long n = Futex(&g_bell, FUTEX_WAKE_PRIVATE, kWorkers);
    if (n < 0 || n > kWorkers) {
      perror("futex wake");
      return 1;
    }
    if (ring <= kRings) woken += n;
    if (write(null_fd, kBytes, (size_t)(1 + n)) != 1 + n) return 1;
  }

  uint64_t sum = 0;
  for (int w = 0; w < kWorkers; ++w) {
    pthread_join(workers[w], NULL);
    sum += g_sums[w];
    printf("worker %d: jobs %d\n", w, g_jobs_done[w]);
  }
  printf("queue: sum %llu\n", (unsigned long long)sum);
  printf("doorbell: rings %d, woken %ld\n", kRings, woken);
  return 0;
}
