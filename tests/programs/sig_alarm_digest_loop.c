// Like `openssl speed`: a timer's handler clears a flag that ends a loop
// digesting the same block over and over (issue 13). Every call of the
// digest passes through the same registers at the same instructions; only
// the caller's counter, on the stack above the digest's frame, tells the
// passes apart, and the signal lands in one of hundreds of thousands of
// them. Prints how many blocks were digested before the signal, which
// depends on timing: replays must print what the recording printed.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static volatile sig_atomic_t running = 1;

static void OnAlarm(int signo) {
  (void)signo;
  running = 0;
}

static uint64_t Digest(const uint8_t* block, size_t size) {
  uint64_t hash = 1469598103934665603ull;
  for (size_t i = 0; i < size; ++i) {
    hash ^= block[i];
    hash *= 1099511628211ull;
  }
  return hash;
}

int main(void) {
  uint8_t block[64];
  memset(block, 0x5a, sizeof block);
  signal(SIGALRM, OnAlarm);
  struct itimerval once = {{0, 0}, {0, 200000}};
  setitimer(ITIMER_REAL, &once, NULL);
  long count = 0;
  uint64_t last = 0;
  for (count = 0; running; ++count) last = Digest(block, sizeof block);
  printf("sig_alarm_digest_loop: %ld blocks, digest %llx\n", count, (unsigned long long)last);
  return 0;
}
