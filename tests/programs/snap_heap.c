// A long-running program with a 64 MiB heap for persistent snapshots: it
// fills every heap page, then runs ROUNDS rounds; each changes 1% of the
// pages (a different 1% each round) and computes over them for ROUND_MS
// milliseconds of wall time. Globals say how far it got, so a debugger can
// check the values at any round. Usage:
//   snap_heap [ROUNDS [ROUND_MS [BLOCKS [OUT]]]]
// With BLOCKS (not 0), each round computes a fixed amount instead (BLOCKS
// blocks of 64 passes over its pages, no clock reads): the same work under
// rewind as without, for timing. With OUT, the rounds' lines go to that file
// (e.g. /dev/null: under the syscall buffer every call it makes after
// opening it is then buffered).
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

static long NowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Called at the end of each round: a place for a debugger's breakpoint.
void round_end(long round) { rounds_done = round; }

int main(int argc, char** argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 10;
  long round_ms = argc > 2 ? atol(argv[2]) : 300;
  long blocks = argc > 3 ? atol(argv[3]) : 0;
  if (argc > 4 && !freopen(argv[4], "w", stdout)) return 2;
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
    long start = blocks > 0 ? 0 : NowMs();
    uint64_t sum = 0;
    long block = 0;
    do {
      for (int pass = 0; pass < 64; ++pass) {
        for (long k = 0; k < CHANGED; ++k) {
          const uint64_t* words = (const uint64_t*)(heap + ((first + k) % PAGES) * PAGE);
          sum = sum * 31 + words[1] + words[pass];
        }
      }
    } while (blocks > 0 ? ++block < blocks : NowMs() - start < round_ms);
    heap_sum = (uint64_t)r * 7919u + ((uint64_t*)(heap + (first % PAGES) * PAGE))[1];
    printf("round %ld heap_sum %llu (%llu)\n", r, (unsigned long long)heap_sum,
           (unsigned long long)(sum & 1));
    fflush(stdout);
    round_end(r);
  }
  return 0;
}
