// A second thread sleeps while main calls io_uring_setup, a syscall the
// recorder refuses (issue 10): the refusal must be as clear as for a
// single-threaded program, not a hang while the other thread is reaped.
#include <linux/io_uring.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void* Sleep(void* arg) {
  (void)arg;
  for (;;) sleep(60);
  return NULL;
}

int main(void) {
  pthread_t sleeper;
  if (pthread_create(&sleeper, NULL, Sleep, NULL) != 0) return 1;
  printf("mt_unsupported_syscall: before io_uring_setup\n");
  fflush(stdout);
  struct io_uring_params params;
  memset(&params, 0, sizeof(params));
  long fd = syscall(SYS_io_uring_setup, 1, &params);
  printf("mt_unsupported_syscall: io_uring_setup returned %ld\n", fd);
  return 0;
}
