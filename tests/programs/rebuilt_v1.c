// The first build of a program that is then rebuilt (rebuilt_v2 is copied
// over it): a replay of its recording must still run this code, and gdb must
// find OldOnlyFunction, which the new build lacks.
#include <stdio.h>

__attribute__((noinline)) int OldOnlyFunction(int x) { return x * 3 + 1; }

int main(int argc, char** argv) {
  printf("rebuilt_v1: %d %s\n", OldOnlyFunction(argc + 13), argc > 1 ? argv[1] : "-");
  return 0;
}
