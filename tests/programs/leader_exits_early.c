// The main thread ends (pthread_exit) while a worker goes on for ROUNDS
// rounds of a 30 ms sleep and a line of output: a process whose main
// thread ended cannot be snapshotted (the recorder reads and restores a
// process through its main thread), so the intervals pass without one.
// Usage: leader_exits_early [ROUNDS]   (default 12)
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long g_rounds = 12;

static void* Worker(void* arg) {
  (void)arg;
  struct timespec nap = {0, 30 * 1000 * 1000};
  for (long i = 0; i < g_rounds; ++i) {
    nanosleep(&nap, NULL);
    printf("worker round %ld\n", i);
    fflush(stdout);
  }
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1) g_rounds = atol(argv[1]);
  pthread_t worker;
  if (pthread_create(&worker, NULL, Worker, NULL) != 0) return 1;
  printf("main exits\n");
  fflush(stdout);
  pthread_exit(NULL);
}
