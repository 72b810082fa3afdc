#include "modules.h"

unsigned gamma_(unsigned x) {
  const char* name = "gamma";
  for (const char* p = name; *p; ++p) x = x * 31u + (unsigned char)*p;
  return x;
}
