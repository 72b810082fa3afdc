// One thread reads a pipe into a global buffer while another computes
// without syscalls (as xz -T2 reads its input while a worker compresses).
// The reader's read() completes in the kernel while the worker runs, so a
// preemption of the worker sees the new bytes in the executable's globals
// before the read's event is recorded; replay writes them only at that event.
// A fingerprint must not count on them (trace/event.h, hashes_globals).
// Output does not depend on scheduling.
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char buffer[4096];  // written by read(): in the hashed globals
static atomic_int reading_done;

static void* Compute(void* arg) {
  (void)arg;
  unsigned long x = 1;
  long passes = 0;
  // Runs until the reader is done, and long enough to be preempted often.
  while (!atomic_load(&reading_done) || passes < 50000000) {
    x = x * 6364136223846793005ul + (unsigned long)passes;
    ++passes;
  }
  printf("compute: at least 50000000 passes: %s\n", passes >= 50000000 ? "yes" : "no");
  return NULL;
}

int main(void) {
  int fds[2];
  if (pipe(fds) != 0) return 1;
  pid_t writer = fork();
  if (writer == 0) {
    close(fds[0]);
    char chunk[64];
    for (int i = 0; i < 200; ++i) {
      memset(chunk, 'a' + i % 26, sizeof chunk);
      usleep(3000);
      if (write(fds[1], chunk, sizeof chunk) != (ssize_t)sizeof chunk) _exit(1);
    }
    _exit(0);
  }
  close(fds[1]);
  pthread_t worker;
  pthread_create(&worker, NULL, Compute, NULL);
  long total = 0, sum = 0;
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0) {
    total += n;
    for (ssize_t i = 0; i < n; ++i) sum += buffer[i];
  }
  atomic_store(&reading_done, 1);
  pthread_join(worker, NULL);
  int status = 0;
  waitpid(writer, &status, 0);
  printf("reader: %ld bytes, sum %ld, writer status %d\n", total, sum, status);
  return 0;
}
