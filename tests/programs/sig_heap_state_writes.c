// A loop of buffered writes to a scratch file whose only changing state
// lives on the heap (the tick count) and in the kernel (the file offset),
// under a 2 ms ITIMER_REAL: between two ticks every pass has the same
// registers, stack and globals. A SIGALRM the recorder places in the loop
// after a batch of buffered calls looks, by those, like any point of the
// batch; replay must deliver it after the batch's last call, not at the
// first pass that matches.
//
// The loop runs until kTicks ticks have arrived, so every tick interrupts
// it however fast the machine is. Printed: "sig_heap_state_writes: ticks=N
// bytes=M" (M depends on timing, and replay must reproduce the recording's).
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

enum { kTicks = 120 };

struct LoopState {
  volatile sig_atomic_t ticks;
  char line[16];
};

static struct LoopState* g_state;  // set once before the timer starts

static void OnAlarm(int signo) {
  (void)signo;
  ++g_state->ticks;
}

int main(void) {
  FILE* scratch = tmpfile();
  if (!scratch) {
    perror("tmpfile");
    return 1;
  }
  int fd = fileno(scratch);
  g_state = calloc(1, sizeof(*g_state));
  snprintf(g_state->line, sizeof(g_state->line), "the same line\n");
  struct sigaction sa = {0};
  sa.sa_handler = OnAlarm;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  const struct itimerval every_2ms = {{0, 2000}, {0, 2000}};
  setitimer(ITIMER_REAL, &every_2ms, NULL);

  // No counter: the file offset counts the writes. Each pass also works a
  // while (its counter ends where it began): a tick held back for the
  // next traced syscall must not find one before the recorder places it in
  // the loop, as the buffer's flush would if the loop filled it in 20 ms.
  while (g_state->ticks < kTicks) {
    if (write(fd, g_state->line, sizeof(g_state->line)) != (ssize_t)sizeof(g_state->line)) return 1;
    for (volatile int k = 0; k < 20000; ++k) {
    }
  }

  const struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  printf("sig_heap_state_writes: ticks=%d bytes=%ld\n", (int)g_state->ticks,
         (long)lseek(fd, 0, SEEK_CUR));
  return 0;
}
