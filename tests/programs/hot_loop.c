// Target of the interrupt test (issue #10): a loop of 10^9 iterations
// without syscalls. A breakpoint inside it is hit 10^9 times, so going back
// to its last hit by re-execution (~4 us a hit) would take over an hour:
// reverse-continue must report progress and stop when gdb interrupts it.
#include <stdio.h>

enum { kIterations = 1000000000 };

volatile long g_sum = 0;

__attribute__((noinline)) void Done(void) { __asm__ volatile(""); }

int main(void) {
  printf("hot_loop: start\n");
  fflush(stdout);
  for (long i = 0; i < kIterations; ++i) {
    g_sum += i & 3;  // @loop-body
  }
  Done();
  printf("hot_loop: sum %ld\n", g_sum);
  return 0;
}
