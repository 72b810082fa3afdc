// Prints 16 bytes read from /dev/urandom and 16 bytes from getrandom(2) as
// hex. Two native runs differ; a replay must print what the recording printed.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

static void PrintHex(const char* label, const unsigned char* bytes, size_t n) {
  printf("%s: ", label);
  for (size_t i = 0; i < n; ++i) printf("%02x", bytes[i]);
  printf("\n");
}

int main(void) {
  unsigned char buf[16];

  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    perror("open /dev/urandom");
    return 1;
  }
  size_t got = 0;
  while (got < sizeof(buf)) {
    ssize_t n = read(fd, buf + got, sizeof(buf) - got);
    if (n <= 0) {
      perror("read /dev/urandom");
      return 1;
    }
    got += (size_t)n;
  }
  close(fd);
  PrintHex("urandom", buf, sizeof(buf));

  if (getrandom(buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)) {
    perror("getrandom");
    return 1;
  }
  PrintHex("getrandom", buf, sizeof(buf));
  return 0;
}
