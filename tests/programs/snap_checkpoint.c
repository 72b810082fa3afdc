// rewind_checkpoint (include/rewind/checkpoint.h) in a program with a 64
// MiB heap: it fills every heap page, then runs ROUNDS rounds, each changing
// 1% of the pages (a different 1% each round) and computing over them
// (BLOCKS blocks of 64 passes). Halfway through it calls
// rewind_checkpoint("halfway"); a debugger restarting there sees
// rounds_done == ROUNDS / 2 and the heap as that round left it.
// Usage: snap_checkpoint [ROUNDS [BLOCKS]]
//        snap_checkpoint calls N  (N calls; prints the nanoseconds per call)
#define _POSIX_C_SOURCE 200809L  // clock_gettime in strict C99
#include <errno.h>
#include <rewind/checkpoint.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 4096
#define PAGES (64 * 256)
#define CHANGED (PAGES / 100)

unsigned char* heap;
volatile long rounds_done;
volatile uint64_t heap_sum;
volatile int after_checkpoint;  // 1 once the checkpoint call returned

static int Calls(long n) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; ++i) rewind_checkpoint("loop");
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
  printf("%ld calls, %.2f ns per call\n", n, ns / (double)n);
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 2 && strcmp(argv[1], "calls") == 0) return Calls(atol(argv[2]));
  long rounds = argc > 1 ? atol(argv[1]) : 8;
  long blocks = argc > 2 ? atol(argv[2]) : 200;
  heap = malloc((size_t)PAGES * PAGE);
  if (!heap) return 1;
  for (long p = 0; p < PAGES; ++p) {
    memset(heap + p * PAGE, (int)(p & 0xff), PAGE);
    memcpy(heap + p * PAGE, &p, sizeof p);
  }
  for (long r = 1; r <= rounds; ++r) {
    long first = (r - 1) * CHANGED;
    for (long k = 0; k < CHANGED; ++k) {
      uint64_t* words = (uint64_t*)(heap + ((first + k) % PAGES) * PAGE);
      words[1] = (uint64_t)r * 1000003u + (uint64_t)k;
    }
    uint64_t sum = 0;
    for (long block = 0; block < blocks; ++block) {
      for (int pass = 0; pass < 64; ++pass) {
        for (long k = 0; k < CHANGED; ++k) {
          const uint64_t* words = (const uint64_t*)(heap + ((first + k) % PAGES) * PAGE);
          sum = sum * 31 + words[1] + words[pass];
        }
      }
    }
    heap_sum = (uint64_t)r * 7919u + ((uint64_t*)(heap + (first % PAGES) * PAGE))[1];
    rounds_done = r;
    printf("round %ld heap_sum %llu (%llu)\n", r, (unsigned long long)heap_sum,
           (unsigned long long)(sum & 1));
    fflush(stdout);
    if (r == rounds / 2) {
      errno = EINTR;
      rewind_checkpoint("halfway");
      after_checkpoint = 1;
      printf("checkpoint returned, errno %s\n", errno == EINTR ? "kept" : "changed");
    }
  }
  rewind_checkpoint(NULL);
  printf("done\n");
  return 0;
}
