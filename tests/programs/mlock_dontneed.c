// MADV_DONTNEED over a range whose second page is locked fails with EINVAL
// after clearing the first page: what the program then reads depends on
// the lock, so replay must lock the page too.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  long page = sysconf(_SC_PAGESIZE);
  char* p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (p == MAP_FAILED) return 1;
  p[0] = 'a';
  p[page] = 'b';
  int locked = mlock(p + page, page);
  int advised = madvise(p, 2 * page, MADV_DONTNEED);
  int advise_errno = advised ? errno : 0;
  printf("mlock %d, madvise %d (%s), first page %d, second page %c\n", locked, advised,
         advise_errno == EINVAL ? "EINVAL" : "no error", p[0], p[page] ? p[page] : '0');
  munlock(p + page, page);
  return 0;
}
