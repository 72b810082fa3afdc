// Target of the reverse-stepi-deep-in-a-loop test (issue #13): a loop of
// N iterations without syscalls that calls Halfway() once, at iteration N/2.
// `break Halfway` + `finish` puts a debugger N/2 passes into the loop, with
// no event since its start; going back from there one instruction at a time
// needs the pass before, which breakpoints (a trap per pass) cannot find in
// reasonable time.
#include <stdio.h>
#include <stdlib.h>

volatile long g_sum = 0;

__attribute__((noinline)) void Halfway(void) { __asm__ volatile(""); }

int main(int argc, char** argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 100000000L;
  printf("loop_marker: start\n");
  fflush(stdout);
  for (long i = 0; i < iterations; ++i) {
    g_sum += i & 3;  // @loop-body
    if (i == iterations / 2) Halfway();
  }
  printf("loop_marker: sum %ld\n", g_sum);
  return 0;
}
