// A syscall-free loop that a one-shot ITIMER_VIRTUAL ends after argv[1] ms
// of the program's own CPU time (default 1500): however loaded the machine,
// the loop runs that long, and replay's probe for the signal waits in it as
// long or longer, so a debugger interrupting the replay meanwhile stops it
// inside the loop (tests/e2e/gdb_probe_breakpoint_test.cc). The loop keeps
// out of rcx, which the probe's trampoline uses as scratch.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

static volatile sig_atomic_t g_done = 0;

static void OnTimer(int signo) {
  (void)signo;
  g_done = 1;
}

__attribute__((noinline)) void LoopStarts(void) { __asm__ volatile(""); }

int main(int argc, char** argv) {
  long ms = argc > 1 ? atol(argv[1]) : 1500;
  signal(SIGVTALRM, OnTimer);
  const struct itimerval once = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
  setitimer(ITIMER_VIRTUAL, &once, NULL);
  unsigned long x = 1, passes = 0;
  LoopStarts();
  while (!g_done) {  // @loop
    x = x * 6364136223846793005ul + passes;
    ++passes;
  }
  printf("sig_cpu_timer_loop: %lu passes, x %lu\n", passes, x);
  return 0;
}
