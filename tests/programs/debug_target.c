// Target of the `rewind debug` console tests: a global counter that bump()
// adds to in four rounds, a long running total, and a byte array. Each
// round prints a line (an event), so rounds are apart in the trace.
//
// Prints:
//   round 1: counter 1
//   round 2: counter 3
//   round 3: counter 6
//   round 4: counter 10
//   total 40
#include <stdio.h>

int counter = 0;
long total = 0;
unsigned char tag[6] = "rwd42";

int bump(int step) {
  counter += step;  // @bump-body
  return counter * 2;
}

int main(void) {
  for (int i = 1; i <= 4; i++) {
    total += bump(i);  // @call-bump
    printf("round %d: counter %d\n", i, counter);  // @print-round
    fflush(stdout);
  }
  printf("total %ld\n", total);
  return tag[0] == 'r' ? 0 : 1;
}
