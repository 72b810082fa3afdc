// Calls syscall numbers the kernel does not implement (rr's test helpers
// call syscall(-1) as a marker; new programs probe for syscalls the running
// kernel may lack). Each must fail with ENOSYS as natively, recorded and
// replayed, and the program goes on. A random value read afterwards shows
// that replay takes the rest from the trace too.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

static void Try(long nr) {
  errno = 0;
  long r = syscall(nr, 1, 2, 3);
  int e = errno;
  printf("syscall(%ld) = %ld errno %d (%s)\n", nr, r, e, strerror(e));
}

int main(void) {
  Try(-1);
  Try(100000);
  Try(1L << 20);
  unsigned int value = 0;
  if (getrandom(&value, sizeof(value), 0) != sizeof(value)) return 2;
  printf("random after: %08x\n", value);
  return 0;
}
