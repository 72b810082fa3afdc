// A 2 ms ITIMER_REAL interrupts a loop without syscalls whose handler
// changes only heap memory (as sig_itimer_heap), and the program reads its
// own /proc/self/maps before the timer starts and after the loop. The
// recorder counts the loop's passes with probe trampolines it maps into
// the program (recorder/pass_counter.h); once the loop is over they must
// be gone, so that the program sees its own address space as it would
// natively.
//
// Printed: "sig_itimer_maps: ticks=N iterations=M maps unchanged" (N is
// kTicks or one more), or "maps changed" and the lines that differ.
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum { kTicks = 60 };

struct Ticks {
  volatile sig_atomic_t count;
};

static struct Ticks* g_ticks;  // set once before the timer starts
static const struct itimerval kOff = {{0, 0}, {0, 0}};
static char g_before[65536];
static char g_after[65536];

static void OnAlarm(int signo) {
  (void)signo;
  if (++g_ticks->count == kTicks) setitimer(ITIMER_REAL, &kOff, NULL);
}

// Reads /proc/self/maps with plain syscalls: no allocation changes the
// heap between the two reads.
static void ReadMaps(char* out, size_t size) {
  int fd = open("/proc/self/maps", O_RDONLY);
  if (fd < 0) exit(2);
  size_t len = 0;
  ssize_t n;
  while (len + 1 < size && (n = read(fd, out + len, size - 1 - len)) > 0) len += (size_t)n;
  out[len] = '\0';
  close(fd);
}

// Prints the lines of `a` that `b` lacks.
static void PrintMissing(const char* label, const char* a, const char* b) {
  for (const char* line = a; *line;) {
    const char* end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) + 1 : strlen(line);
    char buf[512];
    snprintf(buf, sizeof(buf), "%.*s", (int)n, line);
    if (!strstr(b, buf)) printf("%s %s", label, buf);
    line += n;
  }
}

int main(void) {
  g_ticks = calloc(1, sizeof(*g_ticks));
  if (!g_ticks) return 1;
  struct sigaction sa = {0};
  sa.sa_handler = OnAlarm;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  ReadMaps(g_before, sizeof(g_before));
  const struct itimerval every_2ms = {{0, 2000}, {0, 2000}};
  setitimer(ITIMER_REAL, &every_2ms, NULL);

  uint64_t x = 1, iterations = 0;
  while (g_ticks->count < kTicks) {
    x = (x ^ iterations) * 0x100000001b3ull;
    ++iterations;
  }
  setitimer(ITIMER_REAL, &kOff, NULL);
  // A tick that was pending when the timer stopped arrives by now.
  struct timespec settle = {0, 5000000};
  nanosleep(&settle, NULL);
  ReadMaps(g_after, sizeof(g_after));
  const int same = strcmp(g_before, g_after) == 0;
  printf("sig_itimer_maps: ticks=%d iterations=%llu maps %s\n", (int)g_ticks->count,
         (unsigned long long)(iterations + (x & 0)), same ? "unchanged" : "changed");
  if (!same) {
    PrintMissing("-", g_before, g_after);
    PrintMissing("+", g_after, g_before);
  }
  return 0;
}
