// Target of the gdb process tests (`rewind replay -p/-f PID`): main forks;
// only the child calls child_work(i), for i = 0..4, each call adding
// i * 10 + 1 to g_total and writing a line, then exits with status 7. The
// parent only waits for it, so child_work is never executed in the parent,
// and the output does not depend on scheduling:
//   child: work 0, total 1
//   ...
//   child: work 4, total 105
//   parent: child exited with status 7
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kCalls = 5, kChildStatus = 7 };

int g_total = 0;

void child_work(int i) {
  g_total += i * 10 + 1;  // @work-body
  printf("child: work %d, total %d\n", i, g_total);
  fflush(stdout);  // a write syscall between the calls
}

int main(void) {
  fflush(stdout);  // nothing buffered may be printed twice
  pid_t child = fork();
  if (child < 0) {
    perror("fork");
    return 1;
  }
  if (child == 0) {
    for (int i = 0; i < kCalls; ++i) child_work(i);  // @call-work
    _exit(kChildStatus);
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child) {
    perror("waitpid");
    return 1;
  }
  printf("parent: child exited with status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
