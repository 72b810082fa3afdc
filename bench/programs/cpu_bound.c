// CPU-bound benchmark: integer arithmetic with no syscalls in the hot loop.
// Argument: iterations (default sized for ~0.5 s natively). Compute() calls
// no library code, so gdb's `record full` can record it.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { kDefaultIterations = 200000000 };

__attribute__((noinline)) uint64_t Compute(uint64_t iterations, uint64_t seed) {
  uint64_t x = seed | 1;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < iterations; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    acc += x * 0x9E3779B97F4A7C15ull;
  }
  return acc;
}

int main(int argc, char** argv) {
  uint64_t iterations = argc > 1 ? strtoull(argv[1], NULL, 10) : kDefaultIterations;
  printf("cpu_bound: %llu iterations -> %016llx\n", (unsigned long long)iterations,
         (unsigned long long)Compute(iterations, 88172645463325252ull));
  return 0;
}
