// Target of the differential gdb tests (tests/e2e/gdb_differential_test.cc):
// nested loops over global arrays (fill, bubble sort, checksum).
//
// Everything between MarkerBegin() and MarkerEnd() calls no libc, so gdb's
// own `record full` can record and reverse that region (DESIGN.md, "Measured
// facts"). Loop counters are globals so that both debuggers can print them at
// any stop. Lines are found by their "// @name" markers.
#include <stdio.h>

enum { kRows = 3, kCols = 4, kSorted = 6 };

int g_grid[kRows][kCols];
int g_sorted[kSorted] = {31, 4, 15, 9, 26, 5};
int g_row, g_col, g_pass, g_index;
int g_swaps = 0;
long g_checksum = 0;

__attribute__((noinline)) void MarkerBegin(void) { __asm__ volatile(""); }
__attribute__((noinline)) void MarkerEnd(void) { __asm__ volatile(""); }

static void FillGrid(void) {
  for (g_row = 0; g_row < kRows; ++g_row) {       // @fill-outer
    for (g_col = 0; g_col < kCols; ++g_col) {     // @fill-inner
      g_grid[g_row][g_col] = g_row * 10 + g_col;  // @fill-store
    }
  }
}

static void Swap(int* a, int* b) {
  int t = *a;  // @swap-body
  *a = *b;
  *b = t;
  ++g_swaps;  // @swap-count
}

static void BubbleSort(int* a, int n) {
  for (g_pass = 0; g_pass < n - 1; ++g_pass) {                // @sort-outer
    for (g_index = 0; g_index < n - 1 - g_pass; ++g_index) {  // @sort-inner
      if (a[g_index] > a[g_index + 1]) {                      // @sort-compare
        Swap(&a[g_index], &a[g_index + 1]);                   // @sort-swap
      }
    }
  }
}

static long Checksum(void) {
  long sum = 0;
  for (g_row = 0; g_row < kRows; ++g_row) {
    for (g_col = 0; g_col < kCols; ++g_col) {
      sum = sum * 31 + g_grid[g_row][g_col];  // @checksum-step
    }
  }
  return sum;  // @checksum-return
}

int main(void) {
  printf("diff_loops: start\n");
  fflush(stdout);
  MarkerBegin();
  FillGrid();                           // @main-fill
  BubbleSort(g_sorted, kSorted);        // @main-sort
  g_checksum = Checksum();              // @main-checksum
  g_checksum += g_sorted[0] + g_swaps;  // @main-total
  MarkerEnd();                          // @main-end
  printf("diff_loops: checksum %ld, %d swaps\n", g_checksum, g_swaps);
  return 0;
}
