// clone(CLONE_PIDFD | CLONE_VFORK) stores a descriptor for the child where the parent
// asked. Replay emulates the pipe and dups opened before, so its own clone gets
// another descriptor number: the program must see the recorded one.
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static char child_stack[64 * 1024];

static int Child(void* arg) {
  (void)arg;
  _exit(7);
}

int main(void) {
  int fds[2];
  if (pipe(fds) != 0) return 1;
  int last = fds[1];
  for (int i = 0; i < 8; i++) last = dup(fds[1]);  // more descriptors replay does not open
  int pidfd = -1;
  pid_t child = clone(Child, child_stack + sizeof child_stack, CLONE_PIDFD | CLONE_VFORK | SIGCHLD, NULL, &pidfd);
  if (child < 0) {
    perror("clone");
    return 2;
  }
  int status = 0;
  if (waitpid(child, &status, 0) != child) return 3;
  printf("pidfd follows the last descriptor: %d, child exit %d\n", pidfd == last + 1,
         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return 0;
}
