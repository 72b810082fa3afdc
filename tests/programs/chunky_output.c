// Produces a trace of several chunks: 48 rounds, each reading 64 KiB from
// /dev/urandom (recorded data that does not compress) and writing one line
// straight to stdout. Trace-damage tests cut and corrupt it.
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

enum { kRounds = 48, kBlock = 64 * 1024 };

static unsigned char g_block[kBlock];

int main(void) {
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    perror("/dev/urandom");
    return 1;
  }
  for (int round = 0; round < kRounds; ++round) {
    size_t got = 0;
    while (got < sizeof(g_block)) {
      ssize_t n = read(fd, g_block + got, sizeof(g_block) - got);
      if (n <= 0) {
        perror("read");
        return 1;
      }
      got += (size_t)n;
    }
    uint64_t sum = 0;
    for (size_t i = 0; i < sizeof(g_block); ++i) sum = sum * 31 + g_block[i];
    char line[64];
    int len = snprintf(line, sizeof(line), "round %02d: %016llx\n", round, (unsigned long long)sum);
    if (write(STDOUT_FILENO, line, (size_t)len) != len) return 1;
  }
  close(fd);
  return 0;
}
