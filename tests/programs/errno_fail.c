// A failing open leaves ENOENT in errno, then AfterFailure() is a place to
// stop and `print errno` (thread-local, in libc's TLS block).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

int g_result;

__attribute__((noinline)) void AfterFailure(int fd) { g_result = fd; }

int main(void) {
  int fd = open("/nonexistent/rewind-errno", O_RDONLY);
  AfterFailure(fd);
  int error = errno;
  printf("errno_fail: open gave %d, errno %d at %p\n", fd, error, (void*)&errno);
  return 0;
}
