#include <stdio.h>

#include "modules.h"

int main(void) {
  unsigned x = zeta(epsilon(delta(gamma_(beta(alpha(1u))))));
  printf("modules: checksum %u\n", x);
  return 0;
}
