#include "diffshared.h"

int ds_calls = 0;

int DsMix(int acc, int value) {
  ++ds_calls;                    // @mix-entry
  int mixed = acc * 31 + value;  // @mix-body
  return mixed ^ (mixed >> 3);   // @mix-return
}

int DsFold(const int* values, int n, int (*combine)(int acc, int value)) {
  int acc = 0;                      // @fold-entry
  for (int k = 0; k < n; ++k) {     // @fold-loop
    acc = combine(acc, values[k]);  // @fold-callback
  }
  return acc;  // @fold-return
}
