// Writes a numbered line every millisecond until killed: a recording that
// only ends when the recorder is killed from outside.
#include <stdio.h>
#include <time.h>

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (unsigned long i = 0;; ++i) {
    printf("endless_writes: line %lu\n", i);
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
}
