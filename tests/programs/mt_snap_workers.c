// Snapshots of a multithreaded process (issue 16): four workers take tasks
// from a queue under a mutex and condition variables (futex waits), each
// changing and summing pages of a 64 MiB heap; the main thread posts a
// round's tasks and waits for them. A fifth thread waits in read() on a
// pipe the whole time, until the main thread writes to it at the end.
// Usage: mt_snap_workers [ROUNDS [BLOCKS]]: ROUNDS rounds of 16 tasks, each
// task BLOCKS blocks of passes over its pages (fixed work, no clock).
//
// The output does not depend on scheduling (sums are commutative):
//   round R heap_sum N          (one line per round)
//   reader got: DONE
//   mt_snap_workers: checksum N
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PAGE 4096
#define PAGES (64 * 256)
#define CHANGED (PAGES / 100)
enum { kWorkers = 4, kTasksPerRound = 16 };

unsigned char* heap;
volatile long rounds_done;
volatile uint64_t heap_sum;
volatile long tasks_done_total;
char reader_got[16];

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_done = PTHREAD_COND_INITIALIZER;
static long g_round = 0, g_next_task = kTasksPerRound, g_tasks_done = 0, g_blocks = 1;
static uint64_t g_round_sum = 0;
static int g_quit = 0;
static int g_pipe[2];

// Called at the end of each round: a place for a debugger's breakpoint.
void round_end(long round) { rounds_done = round; }

static uint64_t RunTask(long round, long task) {
  long per_task = CHANGED / kTasksPerRound;
  long first = ((round - 1) * CHANGED + task * per_task) % PAGES;
  for (long k = 0; k < per_task; ++k) {
    uint64_t* words = (uint64_t*)(heap + ((first + k) % PAGES) * PAGE);
    words[1] = (uint64_t)round * 1000003u + (uint64_t)(task * per_task + k);
  }
  uint64_t sum = 0;
  for (long b = 0; b < g_blocks; ++b) {
    for (int pass = 0; pass < 64; ++pass) {
      for (long k = 0; k < per_task; ++k) {
        const uint64_t* words = (const uint64_t*)(heap + ((first + k) % PAGES) * PAGE);
        sum = sum * 31 + words[1] + words[pass];
      }
    }
  }
  return sum % 1000003u;
}

static void* Worker(void* arg) {
  (void)arg;
  pthread_mutex_lock(&g_lock);
  for (;;) {
    while (!g_quit && g_next_task >= kTasksPerRound) pthread_cond_wait(&g_work, &g_lock);
    if (g_quit) break;
    long round = g_round, task = g_next_task++;
    pthread_mutex_unlock(&g_lock);
    uint64_t r = RunTask(round, task);
    pthread_mutex_lock(&g_lock);
    g_round_sum += r;
    ++tasks_done_total;
    if (++g_tasks_done == kTasksPerRound) pthread_cond_signal(&g_done);
  }
  pthread_mutex_unlock(&g_lock);
  return NULL;
}

static void* Reader(void* arg) {
  (void)arg;
  ssize_t n = read(g_pipe[0], reader_got, sizeof reader_got - 1);
  if (n > 0) reader_got[n] = 0;
  return NULL;
}

int main(int argc, char** argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 10;
  g_blocks = argc > 2 ? atol(argv[2]) : 40;
  heap = malloc((size_t)PAGES * PAGE);
  if (!heap || pipe(g_pipe) != 0) return 1;
  for (long p = 0; p < PAGES; ++p) {
    memset(heap + p * PAGE, (int)(p & 0xff), PAGE);
    memcpy(heap + p * PAGE, &p, sizeof p);
  }
  pthread_t workers[kWorkers], reader;
  pthread_create(&reader, NULL, Reader, NULL);
  for (int i = 0; i < kWorkers; ++i) pthread_create(&workers[i], NULL, Worker, NULL);
  uint64_t checksum = 0;
  for (long r = 1; r <= rounds; ++r) {
    pthread_mutex_lock(&g_lock);
    g_round = r;
    g_round_sum = 0;
    g_tasks_done = 0;
    g_next_task = 0;
    pthread_cond_broadcast(&g_work);
    while (g_tasks_done < kTasksPerRound) pthread_cond_wait(&g_done, &g_lock);
    heap_sum = (uint64_t)r * 7919u + g_round_sum;
    pthread_mutex_unlock(&g_lock);
    checksum = checksum * 17 + heap_sum;
    printf("round %ld heap_sum %llu\n", r, (unsigned long long)heap_sum);
    fflush(stdout);
    round_end(r);
  }
  pthread_mutex_lock(&g_lock);
  g_quit = 1;
  pthread_cond_broadcast(&g_work);
  pthread_mutex_unlock(&g_lock);
  for (int i = 0; i < kWorkers; ++i) pthread_join(workers[i], NULL);
  if (write(g_pipe[1], "DONE", 4) != 4) return 1;
  pthread_join(reader, NULL);
  printf("reader got: %s\nmt_snap_workers: checksum %llu\n", reader_got,
         (unsigned long long)checksum);
  return 0;
}
