// Four pthreads sharing one mutex and two condition variables (issue #6).
//
// Phase 1, turn-taking: thread t works only when turn % 4 == t, so every
// thread blocks in pthread_cond_wait and is woken by another one each round;
// each thread's total depends only on the rounds it owns.
// Phase 2, a bounded queue of 8 slots: threads 0 and 1 produce, 2 and 3
// consume. Which consumer takes which item depends on scheduling, so only
// the total of what was consumed is printed.
//
// The output does not depend on scheduling:
//   thread T: turns 250, total N        (one line per thread, T = 0..3)
//   queue: produced 4000, consumed 4000, sum N
//   mt_mutex_condvar: checksum N
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

enum { kThreads = 4, kRounds = 250, kItemsPerProducer = 2000, kSlots = 8 };

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_turn_changed = PTHREAD_COND_INITIALIZER;
static pthread_cond_t g_queue_changed = PTHREAD_COND_INITIALIZER;
static int g_turn = 0;

static uint64_t g_slots[kSlots];
static int g_head = 0, g_count = 0, g_produced = 0, g_consumed = 0;
static uint64_t g_consumed_sum = 0;

struct ThreadResult {
  int turns;
  uint64_t total;
};
static struct ThreadResult g_results[kThreads];

// A little arithmetic per turn so the threads do real work between waits.
static uint64_t Mix(uint64_t x) {
  for (int k = 0; k < 200; ++k) x = x * 6364136223846793005ull + 1442695040888963407ull;
  return x >> 17;
}

static void TakeTurns(int self) {
  for (int round = 0; round < kRounds; ++round) {
    pthread_mutex_lock(&g_lock);
    while (g_turn % kThreads != self) pthread_cond_wait(&g_turn_changed, &g_lock);
    g_results[self].total += Mix((uint64_t)g_turn) % 1000;
    g_results[self].turns++;
    g_turn++;
    pthread_cond_broadcast(&g_turn_changed);
    pthread_mutex_unlock(&g_lock);
  }
}

static void Produce(int self) {
  for (int i = 0; i < kItemsPerProducer; ++i) {
    uint64_t item = Mix((uint64_t)(self * kItemsPerProducer + i)) % 10007;
    pthread_mutex_lock(&g_lock);
    while (g_count == kSlots) pthread_cond_wait(&g_queue_changed, &g_lock);
    g_slots[(g_head + g_count) % kSlots] = item;
    g_count++;
    g_produced++;
    pthread_cond_broadcast(&g_queue_changed);
    pthread_mutex_unlock(&g_lock);
  }
}

static void Consume(void) {
  const int total = 2 * kItemsPerProducer;
  for (;;) {
    pthread_mutex_lock(&g_lock);
    while (g_count == 0 && g_consumed < total) pthread_cond_wait(&g_queue_changed, &g_lock);
    if (g_consumed == total) {
      pthread_mutex_unlock(&g_lock);
      return;
    }
    g_consumed_sum += g_slots[g_head];
    g_head = (g_head + 1) % kSlots;
    g_count--;
    g_consumed++;
    // The last item wakes the other consumer, which then sees the end.
    pthread_cond_broadcast(&g_queue_changed);
    pthread_mutex_unlock(&g_lock);
  }
}

static void* Run(void* arg) {
  int self = (int)(intptr_t)arg;
  TakeTurns(self);
  if (self < 2) {
    Produce(self);
  } else {
    Consume();
  }
  return NULL;
}

int main(void) {
  pthread_t threads[kThreads];
  for (int t = 0; t < kThreads; ++t) {
    if (pthread_create(&threads[t], NULL, Run, (void*)(intptr_t)t) != 0) {
      perror("pthread_create");
      return 1;
    }
  }
  for (int t = 0; t < kThreads; ++t) pthread_join(threads[t], NULL);

  uint64_t checksum = 0;
  for (int t = 0; t < kThreads; ++t) {
    printf("thread %d: turns %d, total %llu\n", t, g_results[t].turns,
           (unsigned long long)g_results[t].total);
    checksum = checksum * 31 + g_results[t].total;
  }
  printf("queue: produced %d, consumed %d, sum %llu\n", g_produced, g_consumed,
         (unsigned long long)g_consumed_sum);
  checksum = checksum * 31 + g_consumed_sum;
  printf("mt_mutex_condvar: checksum %llu\n", (unsigned long long)checksum);
  return 0;
}
