// Target of the reverse-next-deep-in-a-loop test (issue 13): a loop of N
// iterations without syscalls that calls a small function on every pass,
// and Halfway() once, at iteration N/2. `break Halfway` + `finish` puts a
// debugger N/2 passes into the loop with no event since its start;
// reverse-next from there must step back over the calls of Step, one line
// at a time, to exactly where forward `next` went.
#include <stdio.h>
#include <stdlib.h>

volatile long g_sum = 0;

__attribute__((noinline)) long Step(long i) { return (i & 3) + 1; }

__attribute__((noinline)) void Halfway(void) { __asm__ volatile(""); }

int main(int argc, char** argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 100000000L;
  printf("loop_calls: start\n");
  fflush(stdout);
  for (long i = 0; i < iterations; ++i) {  // @loop
    g_sum += Step(i);                      // @call
    if (i == iterations / 2) Halfway();    // @halfway
  }
  printf("loop_calls: sum %ld\n", g_sum);
  return 0;
}
