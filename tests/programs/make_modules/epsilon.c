#include "modules.h"

unsigned epsilon(unsigned x) {
  const char* name = "epsilon";
  for (const char* p = name; *p; ++p) x = x * 31u + (unsigned char)*p;
  return x;
}
