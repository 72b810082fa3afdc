// One loop that first waits and then works: Advance() spins until another
// thread moves a shared counter to `target`, or (with `self`) moves it
// there itself, one step a pass. Two threads take turns: each waits in
// Advance for the other's step, then counts kSteps passes itself in the
// same loop. A recorder that learned the loop spins (its registers and
// stack repeat while the thread waits) must not take the counting passes,
// which go through the same instructions with other registers, for a spin.
// No syscall while a thread waits or counts. Output does not depend on
// scheduling:
//   mt_spin_then_count: rounds 100, counter N, checksum N
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

enum { kRounds = 100, kSteps = 2000 };

static atomic_long g_counter = 0;
static uint64_t g_mix = 7;  // written by whoever moves the counter

static void Advance(long target, int self) {
  for (;;) {
    long v = atomic_load_explicit(&g_counter, memory_order_acquire);
    if (v >= target) return;
    if (self) {
      g_mix = g_mix * 6364136223846793005ull + (uint64_t)v;
      atomic_store_explicit(&g_counter, v + 1, memory_order_release);
    }
  }
}

// Round r: main moves the counter one step to r*(kSteps+2)+1, the worker
// counts kSteps more, then main one more, which the worker waits for.
static void* Worker(void* arg) {
  (void)arg;
  for (long r = 0; r < kRounds; ++r) {
    long base = r * (kSteps + 2);
    Advance(base + 1, 0);
    Advance(base + 1 + kSteps, 1);
    Advance(base + 2 + kSteps, 0);
  }
  return NULL;
}

int main(void) {
  pthread_t worker;
  if (pthread_create(&worker, NULL, Worker, NULL) != 0) {
    perror("pthread_create");
    return 1;
  }
  for (long r = 0; r < kRounds; ++r) {
    long base = r * (kSteps + 2);
    Advance(base + 1, 1);
    Advance(base + 1 + kSteps, 0);
    Advance(base + 2 + kSteps, 1);
  }
  pthread_join(worker, NULL);
  printf("mt_spin_then_count: rounds %d, counter %ld, checksum %llu\n", kRounds,
         atomic_load(&g_counter), (unsigned long long)g_mix);
  return 0;
}
