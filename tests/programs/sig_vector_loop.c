// Like `openssl speed` on software AES (issue 13): a timer's handler clears
// a flag that ends a loop whose state lives only in vector registers. Every
// pass comes back to the same general registers, stack and globals; only
// the vector registers tell the passes apart, and the signal lands in one of
// millions of them. Prints a digest of the state, which depends on how many
// passes ran before the signal: replays must print what the recording did.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>

typedef uint32_t Lanes __attribute__((vector_size(16)));

static volatile sig_atomic_t running = 1;

static void OnAlarm(int signo) {
  (void)signo;
  running = 0;
}

// Optimized, unlike the rest of the test programs: at -O0 the state would
// live on the stack, where the fingerprint's stack hash already sees it.
__attribute__((noinline, optimize("O2"))) static Lanes Spin(Lanes state) {
  const Lanes mul = {0x9e3779b1u, 0x85ebca77u, 0xc2b2ae3du, 0x27d4eb2fu};
  const Lanes add = {1, 3, 5, 7};
  while (running) {
    state = state * mul + add;
    state ^= state >> 15;
  }
  return state;
}

int main(void) {
  signal(SIGALRM, OnAlarm);
  struct itimerval once = {{0, 0}, {0, 200000}};
  setitimer(ITIMER_REAL, &once, NULL);
  Lanes start = {1, 2, 3, 4};
  Lanes end = Spin(start);
  printf("sig_vector_loop: state %08x %08x %08x %08x\n", end[0], end[1], end[2], end[3]);
  return 0;
}
