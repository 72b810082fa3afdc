// Prints every clock a program can read without a visible syscall: time(),
// gettimeofday() and clock_gettime() (all vDSO), and the CPU's own: on x86-64
// rdtsc, rdtscp and cpuid (vendor string of leaf 0, eax of leaf 1), on
// AArch64 the generic timer's virtual counter (mrs CNTVCT_EL0) read twice.
// Full resolution, so two native runs always differ.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <x86intrin.h>
#endif

int main(void) {
  time_t t = time(NULL);
  printf("time: %lld\n", (long long)t);

  struct timeval tv;
  gettimeofday(&tv, NULL);
  printf("gettimeofday: %lld.%06ld\n", (long long)tv.tv_sec, (long)tv.tv_usec);

  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  printf("clock_gettime(CLOCK_REALTIME): %lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);
  clock_gettime(CLOCK_MONOTONIC, &ts);
  printf("clock_gettime(CLOCK_MONOTONIC): %lld.%09ld\n", (long long)ts.tv_sec, ts.tv_nsec);

#if defined(__x86_64__)
  uint64_t tsc = __rdtsc();
  printf("rdtsc: %llu\n", (unsigned long long)tsc);
  unsigned int aux = 0;
  uint64_t tscp = __rdtscp(&aux);
  printf("rdtscp: %llu aux %u\n", (unsigned long long)tscp, aux);

  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  __cpuid(0, eax, ebx, ecx, edx);
  char vendor[13];
  memcpy(vendor + 0, &ebx, 4);
  memcpy(vendor + 4, &edx, 4);
  memcpy(vendor + 8, &ecx, 4);
  vendor[12] = '\0';
  printf("cpuid(0): max leaf %u vendor %s\n", eax, vendor);
  __cpuid(1, eax, ebx, ecx, edx);
  printf("cpuid(1): eax 0x%08x\n", eax);
#elif defined(__aarch64__)
  uint64_t first = 0, second = 0;
  __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(first));
  __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(second));
  printf("cntvct_el0: %llu then %llu\n", (unsigned long long)first,
         (unsigned long long)second);
#endif
  return 0;
}
