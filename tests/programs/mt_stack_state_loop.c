// A loop whose registers repeat on every pass while its state lives on the
// stack (at -O0 `sum` and `polls` are stack slots; `ticks` is reloaded into
// the same register until it changes), reading a counter another thread
// moves between its sleeps. A preemption walk ends at the same instruction
// with the same registers each time, so a thread that ran thousands of
// passes since its last preemption looks unmoved by registers alone: the
// recorder must compare its stack too (RecordTask::boundary_memory), or
// replay lets the other thread's ticks land at other passes and never finds
// the next preemption. Output does not depend on scheduling.
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static volatile long ticks;
static volatile int done;

static void* Ticker(void* arg) {
  (void)arg;
  for (int i = 0; i < 150; ++i) {
    struct timespec pause = {0, 2000000};
    nanosleep(&pause, NULL);
    ++ticks;
  }
  done = 1;
  return NULL;
}

int main(void) {
  pthread_t thread;
  if (pthread_create(&thread, NULL, Ticker, NULL) != 0) return 1;
  long sum = 0;
  long polls = 0;
  while (!done) {
    sum += ticks;
    ++polls;
  }
  pthread_join(thread, NULL);
  printf("stack_state_loop: %s, %s\n", sum > 0 ? "summed" : "nothing summed",
         polls > 0 ? "polled" : "never polled");
  return 0;
}
