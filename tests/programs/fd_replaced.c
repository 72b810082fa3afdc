// Buffered writes to an fd whose file changes between them (issue #12: the
// syscall buffer library caches what kind of file each fd is). fd 20 starts
// as /dev/null; it becomes the program's stdout through a dup2 (traced),
// /dev/null again after a buffered close, and stdout once more after a
// close_range (traced). Neither F_DUPFD that reuses the number closes or
// replaces an fd. Only the writes while fd 20 is stdout show.
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { kFd = 20 };

static int Say(const char* text) {
  return write(kFd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : 1;
}

int main(void) {
  int null = open("/dev/null", O_WRONLY);
  if (null < 0 || null >= kFd || fcntl(null, F_DUPFD, kFd) != kFd) return 2;
  int failed = Say("to /dev/null, first\n");
  if (dup2(1, kFd) != kFd) return 3;
  failed |= Say("through dup2\n");
  close(kFd);
  if (fcntl(null, F_DUPFD, kFd) != kFd) return 4;
  failed |= Say("to /dev/null, after a close\n");
  if (syscall(SYS_close_range, kFd, kFd, 0) != 0) return 5;
  if (fcntl(1, F_DUPFD, kFd) != kFd) return 6;
  failed |= Say("through F_DUPFD after close_range\n");
  return failed;
}
