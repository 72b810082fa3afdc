// Prints the cpuid feature bits rewind hides from recorded programs (the
// RDRAND bit of leaf 1, RDSEED/HLE/RTM/RDPID of leaf 7): natively they show
// the CPU's, recorded (where the CPU can make cpuid fault) the recorder's
// masked values, and a replay must print the recorded ones. Then the CPU's
// vendor string (leaf 0). Prints "no cpuid" on other architectures.
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

int main(void) {
#if defined(__x86_64__)
  unsigned max_leaf = 0, ebx = 0, ecx = 0, edx = 0;
  __cpuid(0, max_leaf, ebx, ecx, edx);
  char vendor[13];
  memcpy(vendor + 0, &ebx, 4);
  memcpy(vendor + 4, &edx, 4);
  memcpy(vendor + 8, &ecx, 4);
  vendor[12] = '\0';
  unsigned eax = 0;
  __cpuid(1, eax, ebx, ecx, edx);
  printf("rdrand %u\n", (ecx >> 30) & 1);
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    printf("rdseed %u hle %u rtm %u rdpid %u\n", (ebx >> 18) & 1, (ebx >> 4) & 1, (ebx >> 11) & 1,
           (ecx >> 22) & 1);
  }
  printf("vendor %s\n", vendor);
#else
  printf("no cpuid\n");
#endif
  return 0;
}
