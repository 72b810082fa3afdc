// Persistent snapshots keep a thread's alternate signal stack: main sets
// one (sigaltstack) and a SIGUSR1 handler with SA_ONSTACK, works for ROUNDS
// rounds of fixed work (long enough for snapshots), then raises SIGUSR1;
// the handler notes whether it ran on the alternate stack, and main
// reports it in `report`. Usage: snap_altstack [ROUNDS]
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALT_BYTES (64 * 1024)

static unsigned char alt_mem[ALT_BYTES];
volatile long rounds_done;
volatile int on_alt_stack = -1;  // the handler's verdict; -1: it never ran
volatile uint64_t work_sum;

static void on_usr1(int sig) {
  unsigned char here;
  uintptr_t at = (uintptr_t)&here;
  (void)sig;
  on_alt_stack = at >= (uintptr_t)alt_mem && at < (uintptr_t)alt_mem + ALT_BYTES;
}

// After the handler: a place for a debugger's breakpoint.
void report(void) { printf("handler on the alternate stack: %d\n", on_alt_stack); }

int main(int argc, char** argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 8;
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_sp = alt_mem;
  ss.ss_size = ALT_BYTES;
  if (sigaltstack(&ss, NULL) != 0) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_ONSTACK;
  if (sigaction(SIGUSR1, &sa, NULL) != 0) return 1;
  static uint64_t data[1 << 16];
  for (long r = 1; r <= rounds; ++r) {
    uint64_t sum = 0;
    for (int pass = 0; pass < 3000; ++pass) {
      for (size_t i = 0; i < sizeof data / sizeof data[0]; i += 16) {
        data[i] += (uint64_t)r + (uint64_t)pass;
        sum = sum * 31 + data[i];
      }
    }
    work_sum = sum;
    rounds_done = r;
    printf("round %ld\n", r);
    fflush(stdout);
  }
  raise(SIGUSR1);
  report();
  return on_alt_stack == 1 ? 0 : 2;
}
