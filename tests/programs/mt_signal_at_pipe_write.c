// One thread takes a 1 ms SIGALRM (the others block it) while it
// alternates long stretches of buffered calls (stat, getpid) with bursts of
// pipe writes, which the syscall buffer leaves to the tracer; a reader
// drains the pipe. Recorded with --chaos, the recorder lets the reader run
// at many a write's entry, before the write, and puts the writer back onto
// the syscall instruction inside the buffer library; a tick that reaches
// it there (none of the others takes it) must be delivered where replay
// finds it again.
//
// Printed: the reader's digest (the same in every run), then the ticks and
// the buffered calls (timing: replay must reproduce them).
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

enum { kRounds = 6, kStretchTicks = 3, kWritesPerBurst = 100 };

static int g_pipe[2];
static volatile sig_atomic_t g_ticks;

static void OnAlarm(int signo) {
  (void)signo;
  ++g_ticks;
}

static void* Reader(void* arg) {
  (void)arg;
  unsigned long digest = 1469598103934665603ul;
  char buf[64];
  ssize_t n;
  while ((n = read(g_pipe[0], buf, sizeof(buf))) > 0) {
    for (ssize_t i = 0; i < n; ++i) digest = (digest ^ (unsigned char)buf[i]) * 1099511628211ul;
  }
  return (void*)digest;
}

static void* Writer(void* arg) {
  (void)arg;
  sigset_t alarm;
  sigemptyset(&alarm);
  sigaddset(&alarm, SIGALRM);
  pthread_sigmask(SIG_UNBLOCK, &alarm, NULL);
  long stats = 0;
  for (int round = 0; round < kRounds; ++round) {
    // Long enough that a held-back tick is placed where the thread runs
    // (the recorder then counts it as computing) rather than at a syscall.
    for (int until = g_ticks + kStretchTicks; g_ticks < until;) {
      struct stat st;
      stats += stat("/etc/passwd", &st) == 0;
      getpid();
    }
    for (int m = 0; m < kWritesPerBurst; ++m) {
      char line[17];
      snprintf(line, sizeof(line), "round %d msg %04d", round, m);
      if (write(g_pipe[1], line, 16) != 16) return NULL;
    }
  }
  close(g_pipe[1]);
  return (void*)stats;
}

int main(void) {
  sigset_t alarm;
  sigemptyset(&alarm);
  sigaddset(&alarm, SIGALRM);
  pthread_sigmask(SIG_BLOCK, &alarm, NULL);  // the threads inherit it
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = OnAlarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  if (pipe(g_pipe) != 0) return 1;
  struct itimerval every_ms = {{0, 1000}, {0, 1000}};
  setitimer(ITIMER_REAL, &every_ms, NULL);

  pthread_t reader, writer;
  pthread_create(&reader, NULL, Reader, NULL);
  pthread_create(&writer, NULL, Writer, NULL);
  void* stats;
  void* digest;
  pthread_join(writer, &stats);
  pthread_join(reader, &digest);
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  printf("reader digest %016lx\n", (unsigned long)(uintptr_t)digest);
  printf("ticks %d, stats %ld\n", (int)g_ticks, (long)(intptr_t)stats);
  return 0;
}
