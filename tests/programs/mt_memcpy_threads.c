// Two threads that spend their time in large memcpy() calls, so that most
// preemptions stop a thread part-way through one instruction: on x86-64
// glibc copies these sizes with `rep movsb`, which the CPU interrupts
// between iterations, leaving pc on the instruction with its count
// registers part-way. Replay finds points only at instruction starts, so
// the recorder must not stop there (RecordSession::FinishInterruptibleInsn).
// The threads share memory (a counter), so every preemption is placed.
// Output does not depend on scheduling.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kBytes = 1 << 20, kCopies = 1500 };

static atomic_long copies_done;

static unsigned long Copy(unsigned seed) {
  unsigned char* from = malloc(kBytes);
  unsigned char* to = malloc(kBytes);
  if (!from || !to) abort();
  for (int i = 0; i < kBytes; ++i) from[i] = (unsigned char)(i * seed + seed);
  unsigned long sum = 0;
  for (int i = 0; i < kCopies; ++i) {
    memcpy(to, from, kBytes - (i % 64));
    sum += to[(i * 7919) % (kBytes - 64)];
    from[i % kBytes] ^= to[(i * 31) % kBytes];
    atomic_fetch_add(&copies_done, 1);
  }
  free(from);
  free(to);
  return sum;
}

static void* Worker(void* arg) {
  static unsigned long sum;
  sum = Copy((unsigned)(long)arg);
  return &sum;
}

int main(void) {
  pthread_t worker;
  if (pthread_create(&worker, NULL, Worker, (void*)3L) != 0) return 1;
  unsigned long mine = Copy(5);
  void* theirs = NULL;
  pthread_join(worker, &theirs);
  printf("sums %lu %lu, copies %ld\n", mine, *(unsigned long*)theirs, atomic_load(&copies_done));
  return 0;
}
