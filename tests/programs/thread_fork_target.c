// Tracee for core_thread_fork_test: three threads, each with its own
// thread-local value, stack variable, signal mask and FP rounding mode (FP
// control state lives in the FP register set), spin incrementing a
// counter. Once all run, the main thread stops itself (SIGSTOP); the test
// checkpoints the process there, kills the original and resumes the copy.
// After the stop, main checks that every thread still advances, stops and
// joins them and prints what each thread saw, so the output shows whether
// the copy's threads have their own TLS, stack, mask and FP state and whether
// pthread_join works (the kernel must clear the thread's tid word).
//
// Usage: thread_fork_target OUTPUT_FILE
#define _GNU_SOURCE
#include <fenv.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kThreads = 3 };

// One signal blocked per thread, so each mask differs from the others and
// from main's (which raise() sets to "all blocked" around the SIGSTOP).
static const int kBlocked[kThreads] = {SIGUSR1, SIGUSR2, SIGWINCH};
// Main keeps the default, FE_TONEAREST.
static const int kRounding[kThreads] = {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};

static __thread int tls_id;
static atomic_int ready;
static atomic_int stop;
static atomic_long counter[kThreads];

struct Result {
  int tls;                  // tls_id read after the loop
  int same_tls;             // &tls_id unchanged across the stop
  int stack;                // the stack variable read after the loop
  int rounding;             // the rounding mode is still the thread's own
  char mask[kThreads + 1];  // '1' per kBlocked signal blocked at the end
};
static struct Result results[kThreads];

static void* Worker(void* arg) {
  int index = (int)(long)arg;
  volatile int on_stack = 100 + index;
  tls_id = 10 + index;
  int* tls_addr = &tls_id;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, kBlocked[index]);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  fesetround(kRounding[index]);
  atomic_fetch_add(&ready, 1);
  while (!atomic_load(&stop)) atomic_fetch_add(&counter[index], 1);
  struct Result* r = &results[index];
  r->tls = tls_id;
  r->same_tls = tls_addr == &tls_id;
  r->stack = on_stack;
  r->rounding = fegetround() == kRounding[index];
  sigset_t now;
  pthread_sigmask(SIG_BLOCK, NULL, &now);
  for (int i = 0; i < kThreads; ++i) r->mask[i] = sigismember(&now, kBlocked[i]) ? '1' : '0';
  return NULL;
}

// Waits until every thread's counter moved past `since`; 0 on timeout.
static int AllAdvance(const long* since) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int moved = 0;
    for (int i = 0; i < kThreads; ++i) moved += atomic_load(&counter[i]) > since[i];
    if (moved == kThreads) return 1;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > 5) return 0;
  }
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  FILE* out = fopen(argv[1], "w");
  if (!out) return 2;
  pthread_t threads[kThreads];
  for (long i = 0; i < kThreads; ++i) pthread_create(&threads[i], NULL, Worker, (void*)i);
  while (atomic_load(&ready) < kThreads) {
  }
  raise(SIGSTOP);  // the checkpoint is taken here

  long since[kThreads];
  for (int i = 0; i < kThreads; ++i) since[i] = atomic_load(&counter[i]);
  fprintf(out, "advance %s\n", AllAdvance(since) ? "yes" : "no");
  atomic_store(&stop, 1);
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 2;
  for (int i = 0; i < kThreads; ++i) {
    int err = pthread_timedjoin_np(threads[i], NULL, &deadline);
    if (err != 0) {
      fprintf(out, "join %d: %s\n", i, strerror(err));
      continue;
    }
    struct Result* r = &results[i];
    fprintf(out, "thread %d: tls=%d same_tls=%d stack=%d mask=%s rounding=%d\n", i, r->tls,
            r->same_tls, r->stack, r->mask, r->rounding);
  }
  fclose(out);
  return 0;
}
