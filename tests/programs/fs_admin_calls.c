// Syscalls with only file-system side effects that glibc does not wrap on
// Debian 12: fchmodat2 (Linux 6.6) and acct. Prints each result, errno and
// the mode fchmodat2 left, for comparison with a native run.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452  // the same number on every architecture
#endif

static void Report(const char* what, long result) {
  printf("%s = %ld%s\n", what, result, result < 0 && errno == ENOSYS ? " (ENOSYS)" : "");
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  int fd = open(argv[1], O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) return 3;
  close(fd);
  Report("fchmodat2", syscall(SYS_fchmodat2, AT_FDCWD, argv[1], 0600, 0));
  struct stat st;
  if (stat(argv[1], &st) != 0) return 4;
  printf("mode %o\n", st.st_mode & 07777);
  // Accounting is off unless the system turned it on: turning it off again
  // changes nothing (or fails with EPERM without the capability).
  long r = syscall(SYS_acct, NULL);
  printf("acct(NULL) = %ld errno %s\n", r, r == 0 ? "-" : (errno == EPERM ? "EPERM" : "other"));
  return 0;
}
