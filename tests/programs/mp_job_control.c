// Job control: a child stops itself with SIGSTOP, and a parent stops a
// two-threaded child with SIGTSTP. The parent sees both stops through
// waitpid(WUNTRACED), checks that the second child's worker thread makes no
// progress while stopped, continues both with SIGCONT (seen with
// WCONTINUED) and collects them.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int ticks[2];  // the worker writes a byte here every 2 ms

static void* Ticker(void* arg) {
  (void)arg;
  struct timespec two_ms = {0, 2000000};
  for (;;) {
    if (write(ticks[1], "t", 1) != 1) return NULL;
    nanosleep(&two_ms, NULL);
  }
}

static void Describe(const char* who, int status) {
  if (WIFSTOPPED(status))
    printf("%s stopped by signal %d\n", who, WSTOPSIG(status));
  else if (WIFCONTINUED(status))
    printf("%s continued\n", who);
  else if (WIFEXITED(status))
    printf("%s exited %d\n", who, WEXITSTATUS(status));
  else
    printf("%s killed by signal %d\n", who, WTERMSIG(status));
  fflush(stdout);
}

static int Drain(int fd) {
  char buf[256];
  int n = 0;
  for (;;) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r <= 0) return n;
    n += (int)r;
  }
}

int main(void) {
  int status;
  pid_t self_stopper = fork();
  if (self_stopper == 0) {
    kill(getpid(), SIGSTOP);
    printf("first child goes on after SIGCONT\n");
    fflush(stdout);
    _exit(7);
  }
  if (waitpid(self_stopper, &status, WUNTRACED) != self_stopper) return 1;
  Describe("first child", status);
  kill(self_stopper, SIGCONT);
  if (waitpid(self_stopper, &status, WCONTINUED) != self_stopper) return 2;
  Describe("first child", status);
  if (waitpid(self_stopper, &status, 0) != self_stopper) return 3;
  Describe("first child", status);

  if (pipe(ticks) != 0) return 4;
  int quit[2];
  if (pipe(quit) != 0) return 5;
  pid_t threaded = fork();
  if (threaded == 0) {
    pthread_t worker;
    pthread_create(&worker, NULL, Ticker, NULL);
    char c;
    ssize_t r = read(quit[0], &c, 1);  // the main thread waits to be told
    _exit(r == 1 ? 9 : 10);
  }
  char first;
  if (read(ticks[0], &first, 1) != 1) return 6;  // the worker runs
  kill(threaded, SIGTSTP);
  if (waitpid(threaded, &status, WUNTRACED) != threaded) return 7;
  Describe("threaded child", status);
  fcntl(ticks[0], F_SETFL, O_NONBLOCK);
  Drain(ticks[0]);  // what it wrote before the stop
  struct timespec pause = {0, 100000000};
  nanosleep(&pause, NULL);
  printf("bytes written while stopped: %d\n", Drain(ticks[0]));
  kill(threaded, SIGCONT);
  if (waitpid(threaded, &status, WCONTINUED) != threaded) return 8;
  Describe("threaded child", status);
  fcntl(ticks[0], F_SETFL, 0);
  char after;
  printf("worker ticks again: %d\n", read(ticks[0], &after, 1) == 1);
  if (write(quit[1], "q", 1) != 1) return 9;
  if (waitpid(threaded, &status, 0) != threaded) return 10;
  Describe("threaded child", status);
  return 0;
}
