// capget with each header version, its buffers placed right before an
// inaccessible page: version 1 has one data struct, versions 2 and 3 two;
// capget(hdr, NULL) and an unknown version make the kernel write its own
// version into the header. Recording or replaying a byte too many faults.
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

// `size` bytes ending exactly where a PROT_NONE page begins.
static void* BeforeGuard(size_t size) {
  long page = sysconf(_SC_PAGESIZE);
  char* two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (two == MAP_FAILED || mprotect(two + page, page, PROT_NONE) != 0) return NULL;
  memset(two, 0xa5, page);
  return two + page - size;
}

static int Capget(struct __user_cap_header_struct* h, struct __user_cap_data_struct* d) {
  errno = 0;
  return (int)syscall(SYS_capget, h, d);
}

int main(void) {
  struct __user_cap_header_struct* hdr = BeforeGuard(sizeof(*hdr));
  struct __user_cap_data_struct* one = BeforeGuard(sizeof(*one));
  struct __user_cap_data_struct* two = BeforeGuard(2 * sizeof(*two));
  if (!hdr || !one || !two) return 2;

  hdr->version = 0;
  hdr->pid = 0;
  int r = Capget(hdr, NULL);
  printf("version query: %d, kernel version %#x\n", r, hdr->version);

  hdr->version = 0x12345678;
  r = Capget(hdr, one);
  printf("unknown version: %d errno %d, kernel version %#x\n", r, errno, hdr->version);

  hdr->version = _LINUX_CAPABILITY_VERSION_1;
  r = Capget(hdr, one);
  printf("v1: %d effective %#x permitted %#x\n", r, one->effective, one->permitted);

  hdr->version = _LINUX_CAPABILITY_VERSION_3;
  r = Capget(hdr, two);
  printf("v3: %d effective %#x:%#x inheritable %#x:%#x\n", r, two[0].effective, two[1].effective,
         two[0].inheritable, two[1].inheritable);
  return 0;
}
