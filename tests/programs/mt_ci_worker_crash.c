// A "test binary" whose worker thread crashes (rewind ci acceptance test,
// issue 14): main stores a corrupted pointer into the job it hands to a
// worker, which dereferences it and dies of SIGSEGV while main waits in
// pthread_join. The line that stores the bad pointer is marked CORRUPTS so
// that the test can find it again with `watch -l` and reverse-continue.
#include <pthread.h>
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

static void* worker(void* arg) {
  struct job* j = arg;
  printf("worker: running %s\n", j->name);
  fflush(stdout);
  bump(j);
  return NULL;
}

int main(void) {
  the_job.name = "job two";
  the_job.counter = &real_counter;
  printf("test_crash: starting\n");
  fflush(stdout);
  the_job.counter = (int*)(uintptr_t)0x10;  // CORRUPTS
  pthread_t thread;
  pthread_create(&thread, NULL, worker, &the_job);
  pthread_join(thread, NULL);
  printf("test_crash: counter %d\n", real_counter);
  return 0;
}
