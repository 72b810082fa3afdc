// Memory kept from forks (MADV_DONTFORK) and wiped in them
// (MADV_WIPEONFORK) in a program recorded with snapshots (issue 16): six
// rounds write both ranges, and after round 2 the program asks for a
// snapshot named "advised" (include/rewind/checkpoint.h). Then a forked
// child finds the kept-back pages missing and the wiped page zero, as the
// advice says, and the parent reads both again. Replay restored from the
// snapshot must show the ranges' contents as the program had them, and
// still emulate the advice at the fork.
//
// Prints:
//   round R keep 100R wipe W   (R = 0..5; W = 1, 3, 6, 10, 15, 21)
//   child: keep absent, wipe 0
//   parent: keep 1005 wipe 21
#define _GNU_SOURCE
#include <rewind/checkpoint.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

enum { kPage = 4096, kRounds = 6, kCheckpointAfter = 2 };

long* keep;
long* wipe;
volatile int rounds_done;
static sigjmp_buf g_fault;

static void OnFault(int sig) {
  (void)sig;
  siglongjmp(g_fault, 1);
}

void RoundEnd(int round) {
  rounds_done = round + 1;
  printf("round %d keep %ld wipe %ld\n", round, keep[round * 400], wipe[0]);
  fflush(stdout);
}

int main(void) {
  keep = mmap(NULL, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  wipe = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (keep == MAP_FAILED || wipe == MAP_FAILED) return 1;
  if (madvise(keep, 4 * kPage, MADV_DONTFORK) != 0) return 2;
  if (madvise(wipe, kPage, MADV_WIPEONFORK) != 0) return 3;
  for (int round = 0; round < kRounds; ++round) {
    keep[round * 400] = 1000 + round;  // across the four pages
    wipe[0] += round + 1;
    RoundEnd(round);
    if (round == kCheckpointAfter) rewind_checkpoint("advised");
  }
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGSEGV, OnFault);
    volatile long seen = -1;
    if (sigsetjmp(g_fault, 1) == 0) seen = keep[0];
    printf("child: keep %s, wipe %ld\n", seen == -1 ? "absent" : "present", wipe[0]);
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return 4;
  printf("parent: keep %ld wipe %ld\n", keep[5 * 400], wipe[0]);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 5;
}
