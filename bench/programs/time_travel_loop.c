// A recording for reverse-execution latency: argv[1] iterations, each a
// short computation and a syscall; EarlyMark() runs near the start and
// LateMark() near the end, as breakpoint targets.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

volatile long g_sink;

__attribute__((noinline)) void EarlyMark(int i) { g_sink += i; }
__attribute__((noinline)) void LateMark(int i) { g_sink -= i; }

int main(int argc, char** argv) {
  long iterations = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
  long sleep_us = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
  for (long i = 0; i < iterations; ++i) {
    for (int k = 0; k < 200; ++k) g_sink += k * i;
    if (i == 10) EarlyMark((int)i);
    if (i == iterations - 10) LateMark((int)i);
    if (sleep_us) {
      struct timespec ts = {0, sleep_us * 1000};
      nanosleep(&ts, NULL);
    } else {
      getppid();
    }
  }
  printf("time_travel_loop: %ld iterations, sink %ld\n", iterations, g_sink);
  return 0;
}
