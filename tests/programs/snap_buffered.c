// A long, syscall-heavy program for persistent snapshots with the syscall
// buffer: ROUNDS rounds, each changing part of an 8 MiB heap and making
// ~1,500 calls the buffer takes (writes of a scratch file through
// log_record, reads of it back, fstat, lseek, clock_gettime), then a line
// on stdout (a pipe or a terminal: traced). Globals say how far it got and
// what it read, so a debugger can check the values at any round.
// Usage: snap_buffered [ROUNDS [SCRATCH_FILE]]
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define PAGES (8 * 256)
#define RECORDS 400

unsigned char* heap;
volatile long rounds_done;
volatile uint64_t digest = 1469598103934665603ull;
volatile long records_written;
char last_record[64];  // the line log_record wrote last
char read_back[64];    // the last line read back

static void Mix(const void* p, size_t n) {
  const unsigned char* b = p;
  uint64_t d = digest;
  for (size_t i = 0; i < n; ++i) d = (d ^ b[i]) * 1099511628211ull;
  digest = d;
}

// One buffered write (a regular file): a place for a debugger's breakpoint.
__attribute__((noinline)) int log_record(int fd, const char* line, size_t n) {
  memcpy(last_record, line, n < sizeof last_record ? n : sizeof last_record - 1);
  ++records_written;
  return (int)write(fd, line, n);
}

// Called at the end of each round.
__attribute__((noinline)) void round_end(long round) { rounds_done = round; }

int main(int argc, char** argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 10;
  const char* path = argc > 2 ? argv[2] : "snap_buffered.tmp";
  heap = malloc((size_t)PAGES * PAGE);
  if (!heap) return 1;
  for (long p = 0; p < PAGES; ++p) memset(heap + p * PAGE, (int)(p & 0xff), PAGE);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    perror(path);
    return 1;
  }
  for (long r = 1; r <= rounds; ++r) {
    if (ftruncate(fd, 0) != 0 || lseek(fd, 0, SEEK_SET) != 0) return 1;
    char line[64];
    for (int k = 0; k < RECORDS; ++k) {
      int n = snprintf(line, sizeof line, "round %04ld record %04d heap %02x\n", r, k,
                       heap[((r * RECORDS + k) % PAGES) * PAGE]);
      if (log_record(fd, line, (size_t)n) != n) return 1;
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      heap[((r * 37 + k) % PAGES) * PAGE + (size_t)(k % PAGE)] ^= (unsigned char)ts.tv_nsec;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) return 1;
    lseek(fd, 0, SEEK_SET);
    ssize_t got;
    while ((got = read(fd, read_back, 32)) > 0) Mix(read_back, (size_t)got);
    // Compute over the heap: the round's share of time without syscalls.
    uint64_t sum = 0;
    for (int pass = 0; pass < 24; ++pass) {
      for (long p = 0; p < PAGES; ++p) sum = sum * 31 + heap[p * PAGE + pass];
    }
    Mix(&sum, sizeof sum);
    printf("round %ld size %ld digest %016llx\n", r, (long)st.st_size, (unsigned long long)digest);
    fflush(stdout);
    round_end(r);
  }
  close(fd);
  unlink(path);
  return 0;
}
