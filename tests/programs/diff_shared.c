// Target of the differential gdb tests (tests/e2e/gdb_differential_test.cc):
// calls into a shared library of our own (libdiffshared.so) and callbacks
// from it back into the executable.
//
// Everything between MarkerBegin() and MarkerEnd() calls no libc, so gdb's
// own `record full` can record and reverse that region (DESIGN.md, "Measured
// facts"); the library is bound at load time (-z now) so the region needs no
// lazy symbol resolution either. Lines are found by their "// @name" markers.
#include <stdio.h>

#include "diffshared.h"

int g_values[5] = {5, 3, 8, 1, 9};
int g_acc = 0;
int g_combines = 0;

__attribute__((noinline)) void MarkerBegin(void) { __asm__ volatile(""); }
__attribute__((noinline)) void MarkerEnd(void) { __asm__ volatile(""); }

static int Combine(int acc, int value) {
  ++g_combines;              // @combine-entry
  return DsMix(acc, value);  // @combine-call
}

int main(void) {
  printf("diff_shared: start\n");
  fflush(stdout);
  MarkerBegin();
  g_acc = DsMix(1, 2);                    // @main-mix
  g_acc += DsFold(g_values, 5, Combine);  // @main-fold
  g_acc += ds_calls;                      // @main-calls
  MarkerEnd();                            // @main-end
  printf("diff_shared: acc %d, %d calls, %d combines\n", g_acc, ds_calls, g_combines);
  return 0;
}
