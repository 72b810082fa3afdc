// Syscalls that write the caller's memory in ways the plain argument rules
// miss: FUTEX_WAKE_OP (the second futex word), a PI futex lock and unlock
// (the word gets the owner's tid), fcntl F_GETOWN_EX and F_GET_RW_HINT,
// and the FS_IOC_FIEMAP ioctl (extents after the header). Prints what the
// kernel wrote, in a form that does not depend on the run.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef F_GET_RW_HINT
#define F_GET_RW_HINT 1035
#define F_SET_RW_HINT 1036
#endif

static uint32_t word1, word2 = 7, pi_word;

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  long woken = syscall(SYS_futex, &word1, FUTEX_WAKE_OP, 1, NULL, &word2,
                       FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0));
  printf("wake_op: woke %ld, second word %u\n", woken, word2);

  long locked = syscall(SYS_futex, &pi_word, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
  printf("lock_pi: %ld, word is my tid: %d\n", locked, pi_word == (uint32_t)gettid());
  long unlocked = syscall(SYS_futex, &pi_word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
  printf("unlock_pi: %ld, word %u\n", unlocked, pi_word);

  int fd = open(argv[1], O_CREAT | O_RDWR | O_TRUNC, 0600);
  if (fd < 0) return 3;
  struct f_owner_ex owner = {F_OWNER_PID, getpid()};
  fcntl(fd, F_SETOWN_EX, &owner);
  memset(&owner, 0xff, sizeof owner);
  int got = fcntl(fd, F_GETOWN_EX, &owner);
  printf("getown_ex: %d, type %d, pid is mine: %d\n", got, owner.type, owner.pid == getpid());

  uint64_t hint = 2;  // RWH_WRITE_LIFE_SHORT
  fcntl(fd, F_SET_RW_HINT, &hint);
  hint = 99;
  got = fcntl(fd, F_GET_RW_HINT, &hint);
  printf("get_rw_hint: %d, hint %llu\n", got < 0 ? -errno : got, (unsigned long long)hint);

  char block[8192];
  memset(block, 'x', sizeof block);
  if (write(fd, block, sizeof block) != (ssize_t)sizeof block) return 4;
  fsync(fd);
  size_t size = sizeof(struct fiemap) + 4 * sizeof(struct fiemap_extent);
  struct fiemap* map = calloc(1, size);
  map->fm_length = ~0ull;
  map->fm_flags = FIEMAP_FLAG_SYNC;
  map->fm_extent_count = 4;
  memset(map->fm_extents, 0xee, 4 * sizeof(struct fiemap_extent));
  got = ioctl(fd, FS_IOC_FIEMAP, map);
  uint64_t mapped = 0;
  for (unsigned i = 0; got == 0 && i < map->fm_mapped_extents; i++) {
    mapped += map->fm_extents[i].fe_length;
  }
  printf("fiemap: %d, bytes mapped %s\n", got < 0 ? -errno : got,
         got < 0 ? "-" : (mapped >= sizeof block ? "all" : "short"));
  close(fd);
  unlink(argv[1]);
  return 0;
}
