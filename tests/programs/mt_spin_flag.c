// Lock-free hand-offs between two threads through C11 atomics (issue #6):
// no futex, no syscall at all while a thread waits.
//
// 1. The spinner busy-waits on an atomic flag while main computes for a few
//    milliseconds, then reads the result main published before the flag.
// 2. Ping-pong: the two threads pass a ball (an atomic counter) back and
//    forth 300 times, each transforming a shared value on its turn.
// A recorder that runs one thread at a time must preempt a spinning thread,
// since it never makes a syscall. How long anyone spun is not printed; the
// output does not depend on scheduling:
//   spinner: saw flag, result N
//   ping-pong: 600 passes, value N
//   mt_spin_flag: checksum N
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

enum { kPasses = 300 };

static atomic_int g_flag = 0;
static atomic_int g_ball = 0;  // even: main's turn, odd: the spinner's
static uint64_t g_result = 0;  // published by main before g_flag
static uint64_t g_value = 1;   // owned by whoever holds the ball
static uint64_t g_seen_result = 0;

static uint64_t Compute(uint64_t seed, int iterations) {
  uint64_t x = seed;
  for (int i = 0; i < iterations; ++i) x = (x ^ (x >> 13)) * 0x9e3779b97f4a7c15ull + (uint64_t)i;
  return x;
}

static void* Spinner(void* arg) {
  (void)arg;
  while (atomic_load_explicit(&g_flag, memory_order_acquire) == 0) {
  }
  g_seen_result = g_result;
  for (int pass = 0; pass < kPasses; ++pass) {
    while ((atomic_load_explicit(&g_ball, memory_order_acquire) & 1) == 0) {
    }
    g_value = g_value * 3 + (uint64_t)pass;
    atomic_fetch_add_explicit(&g_ball, 1, memory_order_release);
  }
  return NULL;
}

int main(void) {
  pthread_t spinner;
  if (pthread_create(&spinner, NULL, Spinner, NULL) != 0) {
    perror("pthread_create");
    return 1;
  }
  g_result = Compute(42, 3000000);
  atomic_store_explicit(&g_flag, 1, memory_order_release);
  for (int pass = 0; pass < kPasses; ++pass) {
    while ((atomic_load_explicit(&g_ball, memory_order_acquire) & 1) == 1) {
    }
    g_value = (g_value ^ (g_value >> 7)) + 0x1234567ull * (uint64_t)pass;
    atomic_fetch_add_explicit(&g_ball, 1, memory_order_release);
  }
  pthread_join(spinner, NULL);

  printf("spinner: saw flag, result %llu\n", (unsigned long long)g_seen_result);
  printf("ping-pong: %d passes, value %llu\n", atomic_load(&g_ball), (unsigned long long)g_value);
  printf("mt_spin_flag: checksum %llu\n",
         (unsigned long long)(g_seen_result * 31 + g_value + (uint64_t)atomic_load(&g_ball)));
  return 0;
}
