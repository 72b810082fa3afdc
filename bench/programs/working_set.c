// A large resident process with a small working set, for the snapshot bytes
// a recording stores per second (issue 16): makes RESIDENT_MIB (argv[1],
// default 1024) resident, every page with content of its own (so pages
// cannot stand in for one another), then for SECONDS (argv[3], default 5)
// of wall time keeps rewriting the same WORKING_MIB (argv[2], default 10)
// with new values, reading the clock between passes. Its line goes to
// stdout at the end.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define PAGE 4096

static double Now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  size_t resident_mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 1024;
  size_t working_mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 10;
  double seconds = argc > 3 ? atof(argv[3]) : 5;
  size_t pages = (resident_mib << 20) / PAGE;
  size_t working = (working_mib << 20) / PAGE;
  if (working > pages) working = pages;
  uint64_t* block = malloc(pages * PAGE);
  if (!block) return 1;
  for (size_t p = 0; p < pages; ++p) {
    uint64_t* page = block + p * (PAGE / 8);
    for (size_t w = 0; w < PAGE / 8; ++w) page[w] = p * 0x9e3779b97f4a7c15ull + w;
  }
  double start = Now();
  uint64_t pass = 0;
  while (Now() - start < seconds) {
    ++pass;
    for (size_t p = 0; p < working; ++p) {
      uint64_t* page = block + p * (PAGE / 8);
      for (size_t w = 0; w < PAGE / 8; ++w) page[w] = pass * 31 + p + w;
    }
  }
  printf("working_set: %zu MiB resident, %zu MiB rewritten %llu times\n", resident_mib,
         working_mib, (unsigned long long)pass);
  return 0;
}
