// Target of the differential gdb tests (tests/e2e/gdb_differential_test.cc):
// recursion. Factorial(6) = 720 and Fibonacci(7) = 13 (41 calls).
//
// Everything between MarkerBegin() and MarkerEnd() calls no libc, so gdb's
// own `record full` can record and reverse that region (DESIGN.md, "Measured
// facts"). The interesting state lives in globals so that both debuggers can
// print it at any stop; locals may hold stack garbage that differs between a
// native run and a recording. Lines are found by their "// @name" markers.
#include <stdio.h>

long g_calls = 0;  // calls of Factorial and Fibonacci so far
long g_last = 0;   // last value either of them computed
int g_depth = 0;   // current Fibonacci recursion depth
int g_max_depth = 0;

__attribute__((noinline)) void MarkerBegin(void) { __asm__ volatile(""); }
__attribute__((noinline)) void MarkerEnd(void) { __asm__ volatile(""); }

static long Factorial(int n) {
  ++g_calls;                      // @fact-entry
  if (n <= 1) return 1;           // @fact-base
  long below = Factorial(n - 1);  // @fact-recurse
  g_last = n * below;             // @fact-result
  return g_last;
}

static long Fibonacci(int n) {
  ++g_calls;  // @fib-entry
  ++g_depth;
  if (g_depth > g_max_depth) g_max_depth = g_depth;
  long result;
  if (n < 2) {
    result = n;  // @fib-base
  } else {
    result = Fibonacci(n - 1) + Fibonacci(n - 2);  // @fib-recurse
  }
  --g_depth;  // @fib-leave
  g_last = result;
  return result;
}

int main(void) {
  printf("diff_recursion: start\n");
  fflush(stdout);
  MarkerBegin();
  long f = Factorial(6);  // @main-fact
  long g = Fibonacci(7);  // @main-fib
  g_last = f + g;         // @main-sum
  MarkerEnd();            // @main-end
  printf("diff_recursion: %ld %ld, %ld calls, depth %d\n", f, g, g_calls, g_max_depth);
  return 0;
}
