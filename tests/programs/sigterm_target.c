// Waits to be sent SIGTERM by another process (the test sends it after the
// "ready" line) while computing; the handler prints the progress and exits.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile unsigned long g_progress = 0;

static void OnTerm(int signo) {
  char line[96];
  int n = snprintf(line, sizeof(line), "sigterm_target: got signal %d after %lu\n", signo,
                   g_progress);
  write(1, line, (size_t)n);
  _exit(3);
}

int main(void) {
  signal(SIGTERM, OnTerm);
  printf("sigterm_target: ready pid %d\n", (int)getpid());
  fflush(stdout);
  for (;;) {
    for (int k = 0; k < 100000; ++k) g_progress += (unsigned long)k & 3;
    if ((g_progress & 0xffff) == 0) getppid();
  }
}
