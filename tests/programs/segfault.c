// Prints a few lines (stdout flushed, one line on stderr), then stores through
// a bad pointer: the process dies of SIGSEGV at address 0x1234.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void Crash(void) { *(volatile int*)0x1234 = 1; }

int main(void) {
  printf("segfault: line 1\n");
  printf("segfault: line 2\n");
  fflush(stdout);
  static const char kMsg[] = "segfault: about to write to 0x1234\n";
  if (write(STDERR_FILENO, kMsg, strlen(kMsg)) < 0) return 1;
  Crash();
  printf("segfault: unreachable\n");
  return 0;
}
