// A parent reaches into its child: process_vm_readv reads the child's
// memory, and pidfd_getfd copies one of the child's descriptors, through
// which the parent then writes to it.
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static char words[32] = "the parent's words";

int main(void) {
  int told[2];
  if (pipe(told) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    strcpy(words, "the child's own words");
    int inbox[2];
    if (pipe(inbox) != 0) _exit(2);
    int fd = inbox[1];
    if (write(told[1], &fd, sizeof fd) != sizeof fd) _exit(3);
    char got[32] = {0};
    if (read(inbox[0], got, sizeof got - 1) <= 0) _exit(4);
    printf("child received: %s\n", got);
    fflush(stdout);
    _exit(0);
  }
  int child_fd;
  if (read(told[0], &child_fd, sizeof child_fd) != sizeof child_fd) return 5;

  char seen[32] = {0};
  struct iovec local = {seen, sizeof seen - 1};
  struct iovec remote = {words, sizeof seen - 1};
  ssize_t n = syscall(SYS_process_vm_readv, child, &local, 1, &remote, 1, 0);
  printf("read %zd bytes of the child: %s\n", n, seen);

  int pidfd = syscall(SYS_pidfd_open, child, 0);
  int copy = syscall(SYS_pidfd_getfd, pidfd, child_fd, 0);
  printf("copied the child's descriptor: %s\n", copy > pidfd ? "yes" : "no");
  fflush(stdout);
  if (write(copy, "a note", 6) != 6) return 6;
  int status;
  if (waitpid(child, &status, 0) != child) return 7;
  return WEXITSTATUS(status);
}
