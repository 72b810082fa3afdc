// What the program's libraries conclude from cpuid: libgcc's
// __builtin_cpu_supports for AVX2, AVX-512F, AVX and SSE4.2, then the first
// bytes of the memcpy and strlen glibc's ifunc resolvers chose (dlsym
// resolves an ifunc as the dynamic linker did; a static build follows its
// PLT entry, which the start-up code resolved), as hex, so a test can
// disassemble them: AVX variants use VEX- or EVEX-encoded instructions
// within their first few. Prints "no cpuid" on other architectures.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

enum { kCodeBytes = 96 };

// Where a PLT entry (jmp *GOT(%rip), maybe after endbr64 or with a bnd
// prefix) jumps to; `code` itself when it is not one.
static const unsigned char* ThroughPlt(const unsigned char* code) {
  static const unsigned char kEndbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
  const unsigned char* p = code;
  if (memcmp(p, kEndbr64, sizeof kEndbr64) == 0) p += sizeof kEndbr64;
  if (p[0] == 0xf2) ++p;
  if (p[0] != 0xff || p[1] != 0x25) return code;
  int disp;
  memcpy(&disp, p + 2, sizeof disp);
  const unsigned char* const* got = (const unsigned char* const*)(p + 6 + disp);
  return *got;
}

static void PrintCode(const char* name, const void* fallback) {
  const unsigned char* code = dlsym(RTLD_DEFAULT, name);
  if (code == NULL) code = ThroughPlt(fallback);
  printf("%s", name);
  if (code == NULL) {
    printf(" none\n");
    return;
  }
  printf(" ");
  for (int i = 0; i < kCodeBytes; ++i) printf("%02x", code[i]);
  printf("\n");
}

int main(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  printf("avx2 %d\n", __builtin_cpu_supports("avx2") != 0);
  printf("avx512f %d\n", __builtin_cpu_supports("avx512f") != 0);
  printf("avx %d\n", __builtin_cpu_supports("avx") != 0);
  printf("sse4.2 %d\n", __builtin_cpu_supports("sse4.2") != 0);
  // volatile: the compiler must not fold the addresses into its own
  // knowledge of these builtins.
  void* volatile copy = (void*)memcpy;
  void* volatile length = (void*)strlen;
  PrintCode("memcpy", copy);
  PrintCode("strlen", length);
#else
  printf("no cpuid\n");
#endif
  return 0;
}
