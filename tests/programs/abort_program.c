// Prints a line and calls abort(): dies of SIGABRT (sent by a syscall, so
// replay must inject it rather than expect the CPU to raise it).
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  printf("abort_program: giving up\n");
  fflush(stdout);
  abort();
}
