// A temporary file, unlinked, mapped MAP_SHARED and writable (as databases,
// caches and ring buffers between processes do): the program writes
// through one mapping and reads through a second, and a forked child's
// stores are seen by its parent. Replay must map it with the same contents
// and writability, and keep the mappings sharing their pages.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  char path[] = "/tmp/rewind-shared-mmap-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0 || unlink(path) != 0) return 2;
  const size_t size = 3 * 4096;
  if (ftruncate(fd, size) != 0) return 3;
  char preset[64];
  if (getrandom(preset, sizeof(preset), 0) != sizeof(preset)) return 4;
  if (pwrite(fd, preset, sizeof(preset), 4096) != sizeof(preset)) return 5;

  unsigned char* rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (rw == MAP_FAILED) {
    perror("mmap shared writable");
    return 6;
  }
  unsigned sum = 0;
  for (size_t i = 0; i < sizeof(preset); ++i) sum = sum * 31 + rw[4096 + i];
  printf("file contents seen through the mapping: %08x\n", sum);

  for (size_t i = 0; i < 4096; ++i) rw[i] = (unsigned char)(i * 7);
  const unsigned char* ro = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
  if (ro == MAP_FAILED) return 7;
  printf("second mapping sees the first's stores: %s\n", memcmp(ro, rw, 4096) == 0 ? "yes" : "no");

  pid_t child = fork();
  if (child == 0) {
    strcpy((char*)rw + 8192, "written by the child");
    _exit(0);
  }
  int status;
  waitpid(child, &status, 0);
  printf("parent reads: %s; second mapping reads: %s\n", rw + 8192, ro + 8192);
  rw[8192] = 'W';
  printf("after the parent's store the second mapping reads: %s\n", ro + 8192);
  if (msync(rw, size, MS_SYNC) != 0) return 8;
  if (mprotect(rw, size, PROT_READ) != 0 || mprotect(rw, size, PROT_READ | PROT_WRITE) != 0) {
    perror("mprotect");
    return 9;
  }
  return 0;
}
