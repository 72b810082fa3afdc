#include "modules.h"

unsigned zeta(unsigned x) {
  const char* name = "zeta";
  for (const char* p = name; *p; ++p) x = x * 31u + (unsigned char)*p;
  return x;
}
