// A thread made by a raw clone() without CLONE_SETTLS: it runs with its
// parent's thread pointer, so the syscall buffer library cannot tell the two
// apart. Both make bufferable calls (reads of /dev/urandom, getpid) at the
// same time; each prints what it read. Then, after the child ended, the
// parent's calls are buffered again.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int child_tid = 1;
static uint64_t child_sum;

static uint64_t SumOfReads(int rounds) {
  uint64_t sum = 0;
  for (int i = 0; i < rounds; i++) {
    int fd = open("/dev/urandom", O_RDONLY);
    unsigned char byte = 0;
    if (fd < 0 || read(fd, &byte, 1) != 1) return 0;
    close(fd);
    sum = sum * 31 + byte;
  }
  return sum;
}

static int Child(void* arg) {
  (void)arg;
  child_sum = SumOfReads(300);
  syscall(SYS_exit, 0);  // no TLS: returning into glibc's clone epilogue is not safe
  return 0;
}

int main(void) {
  const size_t stack_size = 1 << 20;
  char* stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (stack == MAP_FAILED) return 1;
  int tid = clone(Child, stack + stack_size,
                  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                      CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID,
                  NULL, (int*)&child_tid, NULL, (int*)&child_tid);
  if (tid <= 0) return 2;
  uint64_t parent_sum = SumOfReads(300);
  while (child_tid != 0) syscall(SYS_futex, &child_tid, FUTEX_WAIT, child_tid, NULL, NULL, 0);
  uint64_t after_sum = SumOfReads(300);
  printf("parent %llx child %llx after %llx\n", (unsigned long long)parent_sum,
         (unsigned long long)child_sum, (unsigned long long)after_sum);
  return 0;
}
