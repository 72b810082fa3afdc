// A data race that crashes only under some interleavings (chaos-mode test,
// issue 14). A reloader thread replaces the shared configuration every
// millisecond but unpublishes it (NULL) while it "validates" the new one,
// for about a millisecond; the main thread reads it without a lock. Run
// natively on two CPUs, main usually reads NULL in one of the windows and
// dies of SIGSEGV. Recorded one thread at a time with the default 10 ms
// time slices, the reloader is never preempted inside a window, so the race
// never shows; chaos mode's short random slices preempt it there.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct config {
  long limit;
};

static struct config* volatile current;
static volatile int done;

static void* reloader(void* arg) {
  (void)arg;
  for (int i = 0; i < 40; ++i) {
    struct timespec pause = {0, 5000000};
    nanosleep(&pause, NULL);
    struct config* fresh = malloc(sizeof *fresh);
    fresh->limit = i;
    current = NULL;  // the bug: readers can see no configuration
    for (volatile long k = 0; k < 800000; ++k) {
    }
    current = fresh;
  }
  done = 1;
  return NULL;
}

int main(void) {
  static struct config initial = {100};
  current = &initial;
  pthread_t thread;
  pthread_create(&thread, NULL, reloader, NULL);
  long sum = 0;
  // `polls` changes on every pass even while the first configuration's
  // limit (0) leaves `sum` alone, so that replay can tell the passes apart
  // when a preemption lands in this loop (README: asynchronous events).
  long polls = 0;
  while (!done) {
    sum += current->limit;
    ++polls;
  }
  pthread_join(thread, NULL);
  printf("race_crash: survived (%s, %s)\n", sum > 0 ? "sum > 0" : "sum = 0",
         polls > 0 ? "polled" : "never polled");
  return 0;
}
