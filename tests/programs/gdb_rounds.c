// A target for scripted gdb sessions (scripts/aarch64/gdb_session.gdb):
// three rounds, each adding a value derived from a random seed to a global
// total through a small call chain, so that break, next, bt, print,
// reverse-step, reverse-continue and a watchpoint on the global all have
// something to find. The seed comes from getrandom, so only a replay shows
// the same values twice.
#include <stdio.h>
#include <sys/random.h>

long g_total = 0;

static long Square(long x) { return x * x; }

static void Add(int round, long value) {
  g_total += value;
  printf("round %d: +%ld = %ld\n", round, value, g_total);
}

int main(void) {
  unsigned seed = 0;
  if (getrandom(&seed, sizeof(seed), 0) != (long)sizeof(seed)) return 1;
  seed %= 1000;
  for (int round = 1; round <= 3; ++round) {
    long value = Square((long)seed + round);
    Add(round, value);
  }
  printf("total %ld\n", g_total);
  return 0;
}
