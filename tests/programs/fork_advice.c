// Memory a process keeps from its forks (MADV_DONTFORK, as V8 does with its
// code range) or hands them zeroed (MADV_WIPEONFORK). Five rounds write
// both, then a forked child finds the kept-back pages missing (its access
// faults) and the wiped page zero, and the parent reads both again.
//
// Prints:
//   round R keep 100R wipe W   (R = 0..4; W = 1, 3, 6, 10, 15)
//   child: keep absent, wipe 0
//   parent: keep 1004 wipe 15
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

enum { kPage = 4096, kRounds = 5 };

static sigjmp_buf g_fault;

static void OnFault(int sig) {
  (void)sig;
  siglongjmp(g_fault, 1);
}

int main(void) {
  long* keep = mmap(NULL, 4 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  long* wipe = mmap(NULL, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (keep == MAP_FAILED || wipe == MAP_FAILED) return 1;
  if (madvise(keep, 4 * kPage, MADV_DONTFORK) != 0) return 2;
  if (madvise(wipe, kPage, MADV_WIPEONFORK) != 0) return 3;
  for (int round = 0; round < kRounds; ++round) {
    keep[round * 400] = 1000 + round;  // across the four pages
    wipe[0] += round + 1;
    printf("round %d keep %ld wipe %ld\n", round, keep[round * 400], wipe[0]);  // @round-end
    fflush(stdout);
  }
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGSEGV, OnFault);
    volatile long seen = -1;
    if (sigsetjmp(g_fault, 1) == 0) seen = keep[0];
    // The length of the line tells a replay that kept either range apart.
    printf("child: keep %s, wipe %ld\n", seen == -1 ? "absent" : "present", wipe[0]);
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return 4;
  printf("parent: keep %ld wipe %ld\n", keep[4 * 400], wipe[0]);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 5;
}
