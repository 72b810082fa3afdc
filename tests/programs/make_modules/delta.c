#include "modules.h"

unsigned delta(unsigned x) {
  const char* name = "delta";
  for (const char* p = name; *p; ++p) x = x * 31u + (unsigned char)*p;
  return x;
}
