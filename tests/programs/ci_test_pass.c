// A "test binary" that passes (rewind ci acceptance test, issue 14).
#include <stdio.h>

int main(int argc, char** argv) {
  printf("test_pass: %d checks ok\n", argc + 2);
  return 0;
}
