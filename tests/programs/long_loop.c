// A longer run for checkpoint and reverse-execution tests: 20000 iterations,
// each making a syscall (getpid, or a write to /dev/null every 4th time) and
// updating a global counter. Progress lines every 5000 iterations.
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

enum { kIterations = 20000 };

long g_counter = 0;

static void Step(int i, int null_fd) {
  if (i % 4 == 0) {
    char byte = (char)i;
    if (write(null_fd, &byte, 1) != 1) g_counter -= 1000000;
  } else {
    g_counter += getpid() & 1;
  }
  g_counter += i % 7;
}

int main(void) {
  int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd < 0) {
    perror("/dev/null");
    return 1;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 0; i < kIterations; ++i) {
    Step(i, null_fd);
    if ((i + 1) % 5000 == 0) printf("long_loop: %d iterations, counter %ld\n", i + 1, g_counter);
  }
  close(null_fd);
  printf("long_loop: done, counter %ld\n", g_counter);
  return 0;
}
