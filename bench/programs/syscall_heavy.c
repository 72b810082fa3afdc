// Syscall-heavy benchmark: small reads, writes and getpid calls (200k by
// default). Argument: number of syscalls.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { kDefaultSyscalls = 200000 };

int main(int argc, char** argv) {
  long syscalls = argc > 1 ? strtol(argv[1], NULL, 10) : kDefaultSyscalls;
  int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (zero < 0 || null < 0) {
    perror("open");
    return 1;
  }
  char buf[64];
  long sum = 0;
  for (long i = 0; i < syscalls; ++i) {
    switch (i % 3) {
      case 0:
        sum += read(zero, buf, sizeof(buf));
        break;
      case 1:
        sum += write(null, buf, sizeof(buf));
        break;
      default:
        sum += getpid() & 1;
        break;
    }
  }
  printf("syscall_heavy: %ld syscalls, sum %ld\n", syscalls, sum);
  return 0;
}
