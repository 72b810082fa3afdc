// Replaces itself with another program: execs argv[1] with the arguments
// after it. The console's pending breakpoints on the new program's
// functions take effect across the exec.
//
// Prints "exec_into: PROGRAM", then whatever PROGRAM prints.
#include <stdio.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: exec_into PROGRAM [ARG...]\n");
    return 2;
  }
  printf("exec_into: %s\n", argv[1]);
  fflush(stdout);
  execv(argv[1], argv + 1);
  perror("execv");
  return 127;
}
