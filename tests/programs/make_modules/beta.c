#include "modules.h"

unsigned beta(unsigned x) {
  const char* name = "beta";
  for (const char* p = name; *p; ++p) x = x * 31u + (unsigned char)*p;
  return x;
}
