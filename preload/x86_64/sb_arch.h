/* x86-64 pieces of the syscall buffer library: how it makes syscalls. */
#ifndef REWIND_PRELOAD_X86_64_SB_ARCH_H_
#define REWIND_PRELOAD_X86_64_SB_ARCH_H_

#include <stdint.h>
#include <sys/syscall.h>

#include "preload/syscallbuf_abi.h"

/* A syscall from the library's own code: the recorder's filter traces it. */
static inline long rwd_sb_traced(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  register long r10 __asm__("r10") = a3;
  register long r8 __asm__("r8") = a4;
  register long r9 __asm__("r9") = a5;
  long ret;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

/* A syscall through the fixed page's instruction, which the filter lets
 * run without a stop. Needs -mno-red-zone: the call pushes a return address. */
static inline long rwd_sb_untraced(long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  register long r10 __asm__("r10") = a3;
  register long r8 __asm__("r8") = a4;
  register long r9 __asm__("r9") = a5;
  long ret;
  __asm__ volatile("call *%[target]"
                   : "=a"(ret)
                   : [target] "r"(RWD_SB_UNTRACED_SYSCALL), "a"(nr), "D"(a0), "S"(a1), "d"(a2),
                     "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}

/* The thread pointer (glibc's TCB, whose first word points at itself). */
static inline uint64_t rwd_sb_thread_pointer(void) {
  uint64_t tp;
  __asm__("mov %%fs:0, %0" : "=r"(tp));
  return tp;
}

/* Rules (syscallbuf.c) for the syscalls only this architecture has. */
#define RWD_SB_ARCH_RULES                                \
  case SYS_readlink:                                     \
    outs[(*nouts)++] = (struct out_rule){1, c->a[2], 1}; \
    return c->a[2] >= 0 && c->a[2] <= kMaxBufferedBytes; \
  case SYS_stat:                                         \
  case SYS_lstat:                                        \
    outs[(*nouts)++] = (struct out_rule){1, 144, 0};     \
    return 1;                                            \
  case SYS_time:                                         \
    outs[(*nouts)++] = (struct out_rule){0, 8, 0};       \
    return 1;                                            \
  case SYS_access:                                       \
  case SYS_unlink:                                       \
  case SYS_mkdir:                                        \
  case SYS_rename:                                       \
    return 1;

void rwd_sb_entry(void);

/* A call into the handler as a patched syscall site makes it (through
 * rwd_sb_entry_direct, laid out as a stub: entry.S). Needs -mno-red-zone,
 * as rwd_sb_untraced. */
static inline long rwd_sb_call_entry(long nr, long a0, long a1) {
  long ret;
  __asm__ volatile("call rwd_sb_entry_direct"
                   : "=a"(ret)
                   : "a"(nr), "D"(a0), "S"(a1)
                   : "rcx", "r11", "memory");
  return ret;
}

/* The code placed at RWD_SB_UNTRACED_SYSCALL: syscall; ret. */
#define RWD_SB_UNTRACED_CODE \
  { 0x0f, 0x05, 0xc3 }

/* Routes libc's syscall sites into rwd_sb_entry (x86_64/patch.c). Returns
 * the number of sites patched. */
int rwd_sb_patch_libc(void);

#endif /* REWIND_PRELOAD_X86_64_SB_ARCH_H_ */
