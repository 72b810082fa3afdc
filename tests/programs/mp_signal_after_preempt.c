// Several single-threaded processes, each making stretches of buffered
// syscalls (stat, getpid) under its own 1 ms SIGALRM. Recorded with
// --chaos, the recorder preempts a process in such a stretch (its buffer is
// flushed: a batch, then the preemption) and runs the others; a tick that
// reaches it meanwhile is delivered as soon as it runs again, right where it
// was preempted, and recorded without a fingerprint of its own. Replay lets
// a preemption pass unobserved in a thread alone in its address space, but
// the signal must still come after the batch the thread had made by then.
//
// Printed: each child's ticks and calls (timing: replay must reproduce
// them), then the parent's summary (the same in every run).
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kChildren = 4, kTicks = 60 };

static volatile sig_atomic_t g_ticks;

static void OnAlarm(int signo) {
  (void)signo;
  ++g_ticks;
}

static int Child(int index) {
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnAlarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval every_ms = {{0, 1000}, {0, 1000}};
  setitimer(ITIMER_REAL, &every_ms, NULL);
  long calls = 0;
  while (g_ticks < kTicks) {
    struct stat st;
    calls += stat("/etc/passwd", &st) == 0;
    calls += getpid() > 0;
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  printf("child %d: ticks %d, calls %ld\n", index, (int)g_ticks, calls);
  fflush(stdout);  // _exit does not
  return 0;
}

int main(void) {
  fflush(stdout);  // nothing buffered may be printed twice
  pid_t children[kChildren];
  for (int i = 0; i < kChildren; ++i) {
    children[i] = fork();
    if (children[i] < 0) {
      perror("fork");
      return 1;
    }
    if (children[i] == 0) _exit(Child(i));
  }
  int ok = 0;
  for (int i = 0; i < kChildren; ++i) {
    int status = 0;
    if (waitpid(children[i], &status, 0) == children[i] && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0) {
      ++ok;
    }
  }
  printf("mp_signal_after_preempt: %d of %d children done\n", ok, kChildren);
  return ok == kChildren ? 0 : 1;
}
