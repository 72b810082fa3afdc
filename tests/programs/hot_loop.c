// Target of the interrupt test (issue #10): a loop of 10^9 iterations
// without syscalls. A breakpoint inside it is hit 10^9 times, so going back
// to its last hit by re-execution (~4 us a hit) would take over an hour:
// reverse-continue must report progress and stop when gdb interrupts it.
// An argument overrides the count: 10^9 takes only half a second on an idle
// machine, too short for a test that interrupts a forward continue.
#include <stdio.h>
#include <stdlib.h>

volatile long g_sum = 0;

__attribute__((noinline)) void Done(void) { __asm__ volatile(""); }

int main(int argc, char** argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 1000000000L;
  printf("hot_loop: start\n");
  fflush(stdout);
  for (long i = 0; i < iterations; ++i) {
    g_sum += i & 3;  // @loop-body
  }
  Done();
  printf("hot_loop: sum %ld\n", g_sum);
  return 0;
}
