// Installs a SIGUSR1 handler with sigaction, raises SIGUSR1 three times; the
// handler counts and prints with write(2) only (async-signal-safe).
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t g_count = 0;

static void Handler(int signo) {
  g_count = g_count + 1;
  char msg[] = "handler: signal NN, count N\n";
  msg[16] = (char)('0' + signo / 10);
  msg[17] = (char)('0' + signo % 10);
  msg[26] = (char)('0' + g_count % 10);
  ssize_t ignored = write(STDOUT_FILENO, msg, sizeof(msg) - 1);
  (void)ignored;
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = Handler;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGUSR1, &sa, NULL) != 0) {
    perror("sigaction");
    return 1;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  for (int i = 0; i < 3; ++i) {
    printf("main: raising SIGUSR1 (%d)\n", i + 1);
    raise(SIGUSR1);
  }
  printf("main: handler ran %d times\n", (int)g_count);
  return g_count == 3 ? 0 : 1;
}
