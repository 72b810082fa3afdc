// Prints a line, then calls io_uring_setup, a syscall the recorder refuses
// (by name) because its shared rings would bypass recording.
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  printf("unsupported_syscall: before io_uring_setup\n");
  fflush(stdout);
  struct io_uring_params params;
  memset(&params, 0, sizeof(params));
  long fd = syscall(SYS_io_uring_setup, 1, &params);
  printf("unsupported_syscall: io_uring_setup returned %ld\n", fd);
  if (fd >= 0) close((int)fd);
  return 0;
}
