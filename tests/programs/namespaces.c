// New namespaces: a child in a new user namespace (an unmapped uid until
// someone writes its uid_map), a new UTS namespace with its own host name,
// and a new pid namespace, which rewind refuses with EPERM.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  pid_t child = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (child == 0) {
    printf("child in a new user namespace: uid %d\n", (int)getuid());
    fflush(stdout);
    _exit(3);
  }
  if (child < 0) {
    printf("no user namespaces here: %s\n", strerror(errno));
  } else {
    int status;
    waitpid(child, &status, 0);
    printf("child exited %d\n", WEXITSTATUS(status));
  }
  if (unshare(CLONE_NEWUSER | CLONE_NEWUTS) != 0) {
    printf("unshare: %s\n", strerror(errno));
    return 0;
  }
  const char name[] = "inside-a-namespace";
  int r = sethostname(name, strlen(name));
  struct utsname u;
  uname(&u);
  printf("sethostname %d, host name now %s\n", r, r == 0 ? u.nodename : "(unchanged)");
  r = unshare(CLONE_NEWPID);
  printf("new pid namespace: %s\n", r == 0 ? "yes" : strerror(errno));
  return 0;
}
