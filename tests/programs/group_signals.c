// Signals its own process group, as shells and test runners do
// (kill(0, SIG)): the recorder shares that group, and must neither die of
// them nor pass them on a second time. Each handled signal is counted once;
// the last one, SIGABRT with its default action, ends the program.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t counts[NSIG];

static void Count(int signo) { counts[signo]++; }

int main(void) {
  const int handled[] = {SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGTRAP};
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = Count;
  for (unsigned i = 0; i < sizeof handled / sizeof handled[0]; i++) {
    sigaction(handled[i], &sa, NULL);
    kill(0, handled[i]);
  }
  for (unsigned i = 0; i < sizeof handled / sizeof handled[0]; i++) {
    printf("%s=%d\n", strsignal(handled[i]), counts[handled[i]]);
  }
  fflush(stdout);
  kill(0, SIGABRT);
  return 0;
}
