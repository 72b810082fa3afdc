// Thread-local storage in four threads (issue #6): initialized __thread and
// _Thread_local variables (each thread starts from the initializers, not
// from another thread's values), errno per thread, and pthread keys with a
// destructor. A barrier makes the threads overlap: each sets its errno and
// TLS, waits for all the others to do the same, then checks its own values
// survived. Main prints what each thread saw in join order, then its own
// untouched TLS, so the output does not depend on scheduling:
//   thread T: started with counter 42, name "main"; counter N, name "worker-T",
//             table N N N N, errno E (NAME) kept, key T
//   main: counter 42, name "main", table 1 2 3 4, errno 0, destructors 4
//   mt_tls: checksum N
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { kThreads = 4 };

static __thread int tls_counter = 42;
static _Thread_local char tls_name[16] = "main";
static __thread long tls_table[4] = {1, 2, 3, 4};

static pthread_barrier_t g_barrier;
static pthread_key_t g_key;
static int g_destructors = 0;
static pthread_mutex_t g_destructor_lock = PTHREAD_MUTEX_INITIALIZER;

struct Seen {
  int initial_counter;
  char initial_name[16];
  int counter;
  char name[16];
  long table[4];
  int error;
  int error_kept;
  intptr_t key_value;
};
static struct Seen g_seen[kThreads];

static void OnKeyDestroyed(void* value) {
  (void)value;
  pthread_mutex_lock(&g_destructor_lock);
  g_destructors++;
  pthread_mutex_unlock(&g_destructor_lock);
}

// A different failing syscall per thread, so each thread's errno differs:
// EBADF, ENOENT, EINVAL, ENOTDIR.
static int FailSomehow(int self) {
  int fds[2];
  if (self == 0) {
    close(-1);
  } else if (self == 1) {
    open("/nonexistent/mt_tls", O_RDONLY);
  } else if (self == 2) {
    pipe2(fds, -1);
  } else {
    open("/etc/passwd/mt_tls", O_RDONLY);
  }
  return errno;
}

static void* Run(void* arg) {
  int self = (int)(intptr_t)arg;
  struct Seen* seen = &g_seen[self];
  seen->initial_counter = tls_counter;
  memcpy(seen->initial_name, tls_name, sizeof(tls_name));

  tls_counter = 1000 * (self + 1);
  snprintf(tls_name, sizeof(tls_name), "worker-%d", self);
  for (int i = 0; i < 4; ++i) tls_table[i] = tls_table[i] * (self + 2) + i;
  pthread_setspecific(g_key, (void*)(intptr_t)(self + 100));
  seen->error = FailSomehow(self);

  // Everyone has written their TLS and errno before anyone reads them back.
  pthread_barrier_wait(&g_barrier);
  for (int i = 0; i < 1000; ++i) tls_counter += i % 3;
  seen->error_kept = errno == seen->error;
  seen->counter = tls_counter;
  memcpy(seen->name, tls_name, sizeof(tls_name));
  memcpy(seen->table, tls_table, sizeof(tls_table));
  seen->key_value = (intptr_t)pthread_getspecific(g_key) - 100;
  return NULL;
}

int main(void) {
  pthread_barrier_init(&g_barrier, NULL, kThreads);
  pthread_key_create(&g_key, OnKeyDestroyed);
  errno = 0;
  pthread_t threads[kThreads];
  for (int t = 0; t < kThreads; ++t) {
    if (pthread_create(&threads[t], NULL, Run, (void*)(intptr_t)t) != 0) {
      perror("pthread_create");
      return 1;
    }
  }
  for (int t = 0; t < kThreads; ++t) pthread_join(threads[t], NULL);
  // Before printf, whose first write may set errno (isatty on stdout).
  int main_errno = errno;

  uint64_t checksum = 0;
  for (int t = 0; t < kThreads; ++t) {
    const struct Seen* s = &g_seen[t];
    printf(
        "thread %d: started with counter %d, name \"%s\"; counter %d, name \"%s\", "
        "table %ld %ld %ld %ld, errno %d (%s) %s, key %ld\n",
        t, s->initial_counter, s->initial_name, s->counter, s->name, s->table[0], s->table[1],
        s->table[2], s->table[3], s->error, strerrorname_np(s->error),
        s->error_kept ? "kept" : "CLOBBERED", (long)s->key_value);
    checksum = checksum * 31 + (uint64_t)s->counter + (uint64_t)s->table[3] + (uint64_t)s->error;
  }
  printf("main: counter %d, name \"%s\", table %ld %ld %ld %ld, errno %d, destructors %d\n",
         tls_counter, tls_name, tls_table[0], tls_table[1], tls_table[2], tls_table[3], main_errno,
         g_destructors);
  printf("mt_tls: checksum %llu\n", (unsigned long long)checksum);
  return 0;
}
