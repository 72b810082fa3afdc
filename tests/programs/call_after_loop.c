// Target of the reverse-step-out-of-a-function-entry tests (issue #13):
// functions entered once, right after a long loop without syscalls: one
// directly, one through the PLT (getenv, already bound by its first call
// before the loop) and one through the PLT on its first call (atoi, bound
// then by the dynamic linker). Going back one instruction from either entry
// needs the call (or the PLT's jump) before it; stepping forward from the
// entry's previous visit, the only way without a branch counter, would
// single-step the whole loop (10^8 instructions).
#include <stdio.h>
#include <stdlib.h>

volatile long g_result;

__attribute__((noinline)) long Compute(long n) {
  long acc = 0;
  for (long i = 0; i < n; ++i) acc += (i * 7) ^ (acc >> 3);
  return acc;
}

__attribute__((noinline)) long AfterLoop(long x) { return x * 3 + 1; }

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000000L;
  const char* first = getenv("CALL_AFTER_LOOP_UNSET");
  printf("call_after_loop: start %d\n", first != NULL);
  fflush(stdout);
  long a = Compute(n);
  long b = AfterLoop(a);                                // @direct-call
  const char* again = getenv("CALL_AFTER_LOOP_UNSET");  // @plt-call
  // atoi's first call: its PLT entry is bound now, by the dynamic linker's
  // resolver, which jumps to it last.
  int seven = atoi("7");
  g_result = b + (again != NULL) + seven;
  printf("call_after_loop: %ld\n", g_result);
  return 0;
}
