// Target of the software watchpoint tests (tests/e2e/gdb_watch_test.cc): a
// watched word shares its page with data written in a hot loop, so under
// page-protection watchpoints nearly every fault there is a false one and
// the watch must still stop exactly at each write of the word. Each round
// also reads the word (rwatch/awatch), writes a stack variable (a watch on
// the stack) and makes a syscall (events for checkpoints).
//
// Lines are found by their "// @name" markers. Round r writes r * 10 to
// g_page.watched, then reads it into g_total.
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { kRounds = 4, kHotWrites = 400, kHotSlots = 400 };

struct Page {
  long hot[kHotSlots];
  long watched;
  long hot_after[8];
} __attribute__((aligned(4096)));

static struct Page g_page;
long g_total;

static void Churn(int round) {
  for (int i = 0; i < kHotWrites; ++i) {
    g_page.hot[i % kHotSlots] += i + round;  // @hot-write
    g_page.hot_after[i % 8] ^= i;
    if (i % 100 == 0) syscall(SYS_getpid);
  }
}

int main(void) {
  long on_stack = 0;
  for (int round = 1; round <= kRounds; ++round) {
    Churn(round);
    g_page.watched = round * 10;  // @watched-write
    g_total += g_page.watched;    // @watched-read
    on_stack += round;            // @stack-write
  }
  printf("watch_hot_page: total %ld stack %ld hot %ld\n", g_total, on_stack, g_page.hot[7]);
  return 0;
}
