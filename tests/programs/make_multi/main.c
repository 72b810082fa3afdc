#include <stdio.h>

#include "parts.h"
int main(void) {
  printf("%d\n", Twice(21));
  return 0;
}
