// Target of the multi-process snapshot tests (issue 16): main forks; the
// child computes ROUNDS rounds of fixed work (BLOCKS blocks each, no clock
// reads), printing a line after each, so that snapshots fall while both
// processes live; the parent waits in waitpid meanwhile, then prints the
// child's status and its own value. Globals say how far each got.
// Usage: mp_snap_child [ROUNDS [BLOCKS]]
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

volatile long rounds_done;
volatile uint64_t child_sum;
volatile long parent_value = 11;

// Called at the end of each round of the child: a place for a breakpoint.
void round_end(long round) { rounds_done = round; }

static uint64_t Work(long round, long blocks) {
  uint64_t x = (uint64_t)round * 2654435761u;
  for (long b = 0; b < blocks; ++b) {
    for (int i = 0; i < 100000; ++i) x = x * 6364136223846793005u + 1442695040888963407u;
  }
  return x;
}

int main(int argc, char** argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 12;
  long blocks = argc > 2 ? atol(argv[2]) : 10;
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) {
    perror("fork");
    return 1;
  }
  if (child == 0) {
    for (long r = 1; r <= rounds; ++r) {
      child_sum = child_sum * 31 + Work(r, blocks);
      round_end(r);
      printf("child: round %ld sum %llu\n", r, (unsigned long long)child_sum);
      fflush(stdout);
    }
    _exit(7);
  }
  parent_value = 22;
  int status = 0;
  if (waitpid(child, &status, 0) != child) {
    perror("waitpid");
    return 1;
  }
  parent_value = 33;
  printf("parent: child exited with status %d, value %ld\n",
         WIFEXITED(status) ? WEXITSTATUS(status) : -1, parent_value);
  return 0;
}
