// Prints its arguments and exits with the status given as the first one:
// checks that arguments reach the tracee and the exit status comes back.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) printf("arg %d: %s\n", i, argv[i]);
  fprintf(stderr, "exit_status: exiting with %s\n", argc > 1 ? argv[1] : "0");
  return argc > 1 ? atoi(argv[1]) : 0;
}
