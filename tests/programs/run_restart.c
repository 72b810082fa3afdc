// Target of the gdb `run` test (issue #10): a random value (getrandom, so
// only a replay shows the same one twice) and a file created at the path
// given as argv[1]. Under a replay, gdb's `run` must go back to the start of
// the recording: the same value again, and the file never created.
#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>

unsigned g_value = 0;

__attribute__((noinline)) void Created(int fd) { __asm__ volatile("" : : "r"(fd)); }

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: run_restart PATH\n");
    return 2;
  }
  if (getrandom(&g_value, sizeof(g_value), 0) != (long)sizeof(g_value)) return 1;
  printf("run_restart: value %u\n", g_value);
  fflush(stdout);
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    perror(argv[1]);
    return 1;
  }
  Created(fd);
  close(fd);
  printf("run_restart: created %s\n", argv[1]);
  return 0;
}
