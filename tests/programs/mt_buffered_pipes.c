// Threads that block reading pipes while other threads run buffered
// syscalls (the syscall buffer leaves pipe reads to the tracer, which must
// let the others run meanwhile), then a vfork child that execs. With an
// argument "timer", a 1 ms timer's SIGALRM also arrives while the threads
// make buffered calls. Prints a digest of what the readers received and a
// count of buffered calls made, which replay must reproduce.
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kPairs = 2, kMessages = 50 };

static int g_pipes[kPairs][2];
static volatile sig_atomic_t g_ticks;
static unsigned long g_digest[kPairs];
static long g_stats[kPairs];

static void OnAlarm(int sig) {
  (void)sig;
  ++g_ticks;
}

// Blocks in read() on its pipe until the writer sends each message.
static void* Reader(void* arg) {
  long k = (long)arg;
  char buf[64];
  unsigned long digest = 1469598103934665603ul;
  for (int got = 0; got < kMessages;) {
    ssize_t n = read(g_pipes[k][0], buf, sizeof(buf));
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) digest = (digest ^ (unsigned char)buf[i]) * 1099511628211ul;
    got += (int)(n / 16);
  }
  g_digest[k] = digest;
  return NULL;
}

// Buffered calls (stat, open/read/close of a file, getpid) between writes.
static void* Writer(void* arg) {
  long k = (long)arg;
  char line[17];
  struct stat st;
  for (int m = 0; m < kMessages; ++m) {
    for (int i = 0; i < 200; ++i) {
      if (stat("/etc/passwd", &st) == 0) ++g_stats[k];
      getpid();
    }
    int fd = open("/etc/hostname", O_RDONLY);
    if (fd >= 0) {
      char buf[32];
      g_stats[k] += read(fd, buf, sizeof(buf)) > 0;
      close(fd);
    }
    snprintf(line, sizeof(line), "pair %ld msg %05d", k, m);
    if (write(g_pipes[k][1], line, 16) != 16) break;
  }
  close(g_pipes[k][1]);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "timer") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = OnAlarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval timer = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &timer, NULL);
  }

  pthread_t readers[kPairs], writers[kPairs];
  for (long k = 0; k < kPairs; ++k) {
    if (pipe(g_pipes[k]) != 0) return 1;
    pthread_create(&readers[k], NULL, Reader, (void*)k);
  }
  for (long k = 0; k < kPairs; ++k) pthread_create(&writers[k], NULL, Writer, (void*)k);
  for (long k = 0; k < kPairs; ++k) {
    pthread_join(writers[k], NULL);
    pthread_join(readers[k], NULL);
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);

  pid_t child = vfork();
  if (child == 0) {
    execl("/bin/true", "true", (char*)NULL);
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);

  for (int k = 0; k < kPairs; ++k) {
    printf("pair %d: digest %016lx, %ld buffered results\n", k, g_digest[k], g_stats[k]);
  }
  printf("vfork child: %d\n", WEXITSTATUS(status));
  return 0;
}
