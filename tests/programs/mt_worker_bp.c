// Target of the gdb thread tests (issue #6): main starts two worker threads
// that name themselves "worker-1" and "worker-2", wait for each other at a
// barrier, then take turns (a mutex and a condition variable) calling
// worker_step(id, i) for i = 0..4: worker-1 step 0, worker-2 step 0,
// worker-1 step 1, ... worker-2 step 4. So the order of the calls does not
// depend on scheduling: the last call is worker_step(2, 4), and at any call
// all three threads exist and both workers have their names (the workers
// meet at a second barrier before they exit). Every thread switch between
// steps goes through a futex wait.
//
// Prints:
//   mt_worker_bp: 10 steps, last id 2, last i 4, sum 1520
// (the sum of id * 100 + i over the ten calls).
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

enum { kWorkers = 2, kSteps = 5 };

int g_last_id = 0;
int g_last_i = -1;
int g_steps = 0;
long g_sum = 0;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_turn_changed = PTHREAD_COND_INITIALIZER;
static int g_turn = 1;                // the id of the worker whose turn it is
static pthread_barrier_t g_named;     // both workers have their names
static pthread_barrier_t g_finished;  // both workers are done

// Called with the turn held, so never by two threads at once.
void worker_step(int id, int i) {
  g_last_id = id;  // @step-body
  g_last_i = i;
  g_steps++;
  g_sum += id * 100 + i;
}

static void WaitForTurn(int id) {
  pthread_mutex_lock(&g_lock);
  while (g_turn != id) pthread_cond_wait(&g_turn_changed, &g_lock);  // @wait
  pthread_mutex_unlock(&g_lock);
}

static void PassTurn(int id) {
  pthread_mutex_lock(&g_lock);
  g_turn = id % kWorkers + 1;
  pthread_cond_broadcast(&g_turn_changed);
  pthread_mutex_unlock(&g_lock);
}

static void* Worker(void* arg) {
  int id = (int)(intptr_t)arg;
  char name[16];
  snprintf(name, sizeof(name), "worker-%d", id);
  pthread_setname_np(pthread_self(), name);
  pthread_barrier_wait(&g_named);  // @barrier
  for (int i = 0; i < kSteps; ++i) {
    WaitForTurn(id);     // @call-wait
    worker_step(id, i);  // @call-step
    PassTurn(id);        // @call-pass
  }
  pthread_barrier_wait(&g_finished);
  return NULL;
}

int main(void) {
  pthread_barrier_init(&g_named, NULL, kWorkers);
  pthread_barrier_init(&g_finished, NULL, kWorkers);
  pthread_t workers[kWorkers];
  for (int w = 0; w < kWorkers; ++w) {
    if (pthread_create(&workers[w], NULL, Worker, (void*)(intptr_t)(w + 1)) != 0) {
      perror("pthread_create");
      return 1;
    }
  }
  for (int w = 0; w < kWorkers; ++w) pthread_join(workers[w], NULL);
  long sum = g_sum;  // @after-joins
  printf("mt_worker_bp: %d steps, last id %d, last i %d, sum %ld\n", g_steps, g_last_id, g_last_i,
         sum);
  return 0;
}
