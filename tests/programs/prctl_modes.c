// What prctl says about rdtsc faulting, seccomp and its own structure's
// size (PR_SET_MM_MAP_SIZE writes it), and rdtsc after the
// program asks for it to be enabled: as natively, whatever the recorder
// does behind the program's back (it makes rdtsc fault, and the syscall
// buffer installs a seccomp filter).
#include <stdio.h>
#include <sys/prctl.h>
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

int main(void) {
  printf("PR_GET_SECCOMP = %d\n", prctl(PR_GET_SECCOMP));
  unsigned int size = 0;  // the kernel writes the size of its struct here
  int r_size = prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, &size, 0, 0);
  printf("PR_SET_MM_MAP_SIZE = %d, size %u\n", r_size, size);
#if defined(__x86_64__)
  int mode = -1;
  int r = prctl(PR_GET_TSC, &mode);
  printf("PR_GET_TSC = %d, mode %s\n", r, mode == PR_TSC_ENABLE ? "enable" : "sigsegv");
  printf("PR_SET_TSC enable = %d\n", prctl(PR_SET_TSC, PR_TSC_ENABLE));
  unsigned long long a = __rdtsc(), b = __rdtsc();
  printf("rdtsc moves forward: %d\n", b > a);
  printf("ticks between two rdtsc: %llu\n", b - a);  // replay repeats the recorded value
#endif
  return 0;
}
