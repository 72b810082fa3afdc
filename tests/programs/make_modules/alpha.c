#include "modules.h"

unsigned alpha(unsigned x) {
  const char* name = "alpha";
  for (const char* p = name; *p; ++p) x = x * 31u + (unsigned char)*p;
  return x;
}
