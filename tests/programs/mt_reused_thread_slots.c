// Threads created one after another, each joined before the next starts:
// glibc gives each new thread the stack and thread descriptor of the one
// before (its stack cache), so they share a thread pointer. Each makes
// buffered calls (fstat, getpid, lseek of a regular file); then a forked
// child, which keeps its parent's thread pointer, makes some too. The
// syscall buffer library must give each thread and the child a buffer of
// its own. Prints what the calls saw, which replay must reproduce.
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kThreads = 8, kCalls = 200 };

static int g_fd;
static uintptr_t g_self[kThreads];

static long BufferedCalls(void) {
  long sum = 0;
  struct stat st;
  for (int i = 0; i < kCalls; ++i) {
    if (fstat(g_fd, &st) == 0) sum += st.st_size > 0;
    sum += getpid() > 0;
    sum += lseek(g_fd, i, SEEK_SET) == i;
  }
  return sum;
}

static void* Worker(void* arg) {
  g_self[(intptr_t)arg] = (uintptr_t)pthread_self();
  return (void*)BufferedCalls();
}

int main(void) {
  g_fd = open("/proc/self/exe", O_RDONLY);
  if (g_fd < 0) return 1;
  int reused = 0;
  for (intptr_t k = 0; k < kThreads; ++k) {
    pthread_t t;
    void* sum;
    if (pthread_create(&t, NULL, Worker, (void*)k) != 0 || pthread_join(t, &sum) != 0) return 2;
    reused += k > 0 && g_self[k] == g_self[0];
    printf("thread %d: %ld\n", (int)k, (long)sum);
  }
  printf("threads in the first one's descriptor: %d\n", reused);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    printf("child: %ld\n", BufferedCalls());
    return 0;
  }
  int status;
  waitpid(child, &status, 0);
  printf("parent: %ld\n", BufferedCalls());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}
