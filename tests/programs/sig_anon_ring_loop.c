// sig_heap_ring_loop.c with its ring in an anonymous mmap instead of the brk
// heap: the shape of an interpreter that keeps its loop's state in arenas,
// which fingerprints did not hash before trace format 11 (issue 13).
//
// A loop without syscalls whose registers and stack repeat from pass to
// pass while it writes an array: each pass adds one to the ring slot at an
// index kept in the mapping, moves the index on, then waits in a delay loop
// whose counter starts at the same value every pass. Only the mapping (the
// slots and the index) tells the passes apart; within a
// delay loop, the registers and stack are those of the same delay step of
// every pass (64 passes apart at most: the index may stay in a scratch
// register). A 2 ms ITIMER_REAL interrupts the loop until kTicks ticks
// came; the handler only counts, in the mapping too.
//
// Printed: "sig_anon_ring_loop: ticks=N passes=P checksum=C": P and C
// depend on where each tick landed, and replay must reproduce them.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>

enum { kTicks = 40, kSlots = 64 };

struct Ring {
  volatile sig_atomic_t ticks;
  volatile unsigned index;
  volatile uint64_t slots[kSlots];
};

static struct Ring* g_ring;  // set once before the timer starts
static const struct itimerval kOff = {{0, 0}, {0, 0}};

static void OnAlarm(int signo) {
  (void)signo;
  if (++g_ring->ticks == kTicks) setitimer(ITIMER_REAL, &kOff, NULL);
}

__attribute__((noinline)) static void Delay(void) {
  for (volatile int k = 0; k < 200; ++k) {
  }
}

int main(void) {
  void* ring =
      mmap(NULL, sizeof(*g_ring), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ring == MAP_FAILED) return 1;
  g_ring = ring;
  struct sigaction sa = {0};
  sa.sa_handler = OnAlarm;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, NULL);
  const struct itimerval every_2ms = {{0, 2000}, {0, 2000}};
  setitimer(ITIMER_REAL, &every_2ms, NULL);

  while (g_ring->ticks < kTicks) {
    g_ring->slots[g_ring->index] += 1;
    g_ring->index = (g_ring->index + 1) % kSlots;
    Delay();
  }
  setitimer(ITIMER_REAL, &kOff, NULL);
  struct timespec settle = {0, 5000000};
  nanosleep(&settle, NULL);
  uint64_t passes = 0, checksum = 0;
  for (int i = 0; i < kSlots; ++i) {
    passes += g_ring->slots[i];
    checksum = checksum * 31 + g_ring->slots[i];
  }
  printf("sig_anon_ring_loop: ticks=%d passes=%llu checksum=%llu\n", (int)g_ring->ticks,
         (unsigned long long)passes, (unsigned long long)checksum);
  return 0;
}
