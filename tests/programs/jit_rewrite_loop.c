// A JIT in miniature: each round clears a page of writable, executable
// memory, copies a compiled loop into it and runs it there, while a 2 ms
// ITIMER_REAL interrupts the loop. Replay places each SIGALRM in the loop
// with a breakpoint or probe planted in that page before the program
// rewrites it; the rewrite must not erase it (node's JIT code did, and
// replay ran past the recorded point).
//
// The code lives far from the stack and the libraries, where replay puts a
// probe's trampolines just below it; after the first round the program maps
// that range itself, as the recording did (a thread's malloc arena lands
// there in node), and replay must move its trampolines out of the way.
//
// The loop is copied from this binary (its own section, no calls and no
// global data, so it runs anywhere). Prints where the code lives, so that
// a test can check that signals landed in it, and a digest of the loops'
// results, which replay must reproduce.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

// A round runs ~50 ms natively: longer than the 20 ms a recorder lets a
// signal wait for the next syscall, so signals land inside the loop.
enum { kRounds = 4, kPasses = 40000000 };
// 16 TiB: more than a jump's reach (2 GiB) from the libraries and the stack.
static const uintptr_t kCodeAt = (uintptr_t)1 << 44;
static const size_t kBelowSize = 1 << 20;

static volatile sig_atomic_t ticks;

static void OnAlarm(int signo) {
  (void)signo;
  ticks++;
}

__attribute__((noinline, section("jit_source"))) uint64_t MixLoop(uint64_t passes) {
  uint64_t acc = 1;
  for (uint64_t i = 0; i < passes; i++) acc = acc * 6364136223846793005ull + i;
  return acc;
}
extern char __start_jit_source[], __stop_jit_source[];

int main(void) {
  const size_t len = (size_t)(__stop_jit_source - __start_jit_source);
  long page = sysconf(_SC_PAGESIZE);
  unsigned char* code = mmap((void*)kCodeAt, (size_t)page, PROT_READ | PROT_WRITE | PROT_EXEC,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (code == MAP_FAILED || len > (size_t)page) return 1;
  printf("jit_rewrite_loop: code at %p\n", (void*)code);
  fflush(stdout);
  signal(SIGALRM, OnAlarm);
  struct itimerval every_2ms = {{0, 2000}, {0, 2000}};
  setitimer(ITIMER_REAL, &every_2ms, NULL);
  uint64_t digest = 0;
  for (int round = 0; round < kRounds; round++) {
    memset(code, 0, (size_t)page);
    char line[64];
    int n = snprintf(line, sizeof line, "jit_rewrite_loop: round %d\n", round);
    if (write(1, line, (size_t)n) != n) return 1;
    memcpy(code, __start_jit_source, len);
    __builtin___clear_cache((char*)code, (char*)code + len);
    digest = digest * 31 + ((uint64_t(*)(uint64_t))code)(kPasses);
    if (round == 0) {
      void* below = mmap(code - kBelowSize, kBelowSize, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
      if (below == MAP_FAILED) return 1;
      memset(below, 0x5a, kBelowSize);
    }
  }
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  printf("jit_rewrite_loop: digest %016llx, interrupted %s\n", (unsigned long long)digest,
         ticks > 0 ? "yes" : "no");
  return 0;
}
