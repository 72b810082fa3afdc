// A "test binary" that crashes in its main thread (rewind ci acceptance
// test, issue 14): main stores a corrupted pointer into a job, then uses it
// and dies of SIGSEGV. The line that stores the bad pointer carries the
// marker comment CORRUPTS, so that the test can find it again with `watch -l`
// and reverse-continue; the faulting line carries CRASHES.
#include <stdint.h>
#include <stdio.h>

struct job {
  const char* name;
  int* counter;
};

static struct job the_job;
static int real_counter;

static void bump(struct job* j) {
  *j->counter += 1;  // CRASHES
}

int main(void) {
  the_job.name = "job one";
  the_job.counter = &real_counter;
  printf("test_crash: starting %s\n", the_job.name);
  fflush(stdout);
  the_job.counter = (int*)(uintptr_t)0x10;  // CORRUPTS
  bump(&the_job);
  printf("test_crash: counter %d\n", real_counter);
  return 0;
}
