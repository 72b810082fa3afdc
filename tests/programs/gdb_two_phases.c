// Target of the gdb tests of a trace cut short (tests/e2e/gdb_forward_test.cc):
// two phases of getpid calls separated by a pause longer than the
// recorder's flush interval (half a second), so that the trace has at least
// two chunks and the first ends right after the pause. Cutting off the last
// chunk leaves a trace that ends at the first getpid of the second phase.
#include <stdio.h>
#include <time.h>
#include <unistd.h>

long g_counter = 0;

static void Tick(int i) {
  g_counter += getpid() & 1;  // @tick-getpid
  g_counter += i % 7 + 1;
}

int main(void) {
  int phase = 1;
  int i;
  for (i = 0; i < 2000; ++i) Tick(i);  // @phase-loop
  const struct timespec pause = {0, 700 * 1000 * 1000};
  nanosleep(&pause, NULL);            // @pause
  phase = 2;                          // @phase-two
  for (i = 0; i < 200; ++i) Tick(i);  // @second-loop
  printf("gdb_two_phases: phase %d, counter %ld\n", phase, g_counter);
  return 0;
}
