// What prctl says about rdtsc faulting and seccomp, and rdtsc after the
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
