// The second build of rebuilt_v1's program: other code, other output.
#include <stdio.h>

int main(void) {
  printf("rebuilt_v2: a different program now\n");
  return 5;
}
