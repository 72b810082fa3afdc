/* rewind_checkpoint(name): a checkpoint the program asks for.
 *
 * Under `rewind record`, the recorder takes a snapshot of the process at
 * this call and keeps it in the trace under `name`: a bookmark that replay
 * returns to without re-executing what came before (gdb `monitor restart
 * NAME`, `restart NAME` in `rewind debug`, `rewind replay -g NAME`).
 *
 * Without rewind the call does nothing and costs a few nanoseconds: the
 * recorder marks the programs it records with REWIND_RECORDING=1 in their
 * environment, and only then (read once per process and file that includes
 * this header) does the call reach the recorder, through a system call
 * number no kernel implements. Run natively, under another tracer or
 * under a seccomp filter, no such call is ever made. errno is unchanged.
 * A process whose environment was cleared (env -i) takes no checkpoints.
 *
 * Self-contained C (C99 or later, and C++): include it with
 * -I REWIND_SOURCE/include as <rewind/checkpoint.h>; nothing to link.
 * The name is copied by the recorder (up to 255 bytes); it may be NULL or
 * empty for a checkpoint reachable only by its event number. Several calls
 * may use the same name: the first recorded is the one `restart` returns to.
 *
 * The system call is made with an instruction of the machine's own, so this
 * header holds the only architecture conditionals of its kind outside
 * rewind's arch/: it must compile into programs without rewind's code. */
#ifndef REWIND_CHECKPOINT_H_
#define REWIND_CHECKPOINT_H_

#include <stdlib.h>

/* The pseudo-syscall the recorder recognises (ENOSYS from every kernel),
 * next to the syscall buffer's (preload/syscallbuf_abi.h). */
#define REWIND_CHECKPOINT_SYSCALL 0x7210
/* Set to "1" in the environment of every program rewind records. */
#define REWIND_RECORDING_ENV "REWIND_RECORDING"
/* The longest name the recorder keeps. */
#define REWIND_CHECKPOINT_NAME_MAX 255

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when this process is recorded by rewind; asks the environment once. */
static inline int rewind_is_recorded(void) {
  /* 0: not asked yet, 1: recorded, 2: not. Threads may race to ask: they
   * all find the same answer. */
  static int state;
  int s = __atomic_load_n(&state, __ATOMIC_RELAXED);
  if (s == 0) {
    const char* v = getenv(REWIND_RECORDING_ENV);
    s = (v != NULL && v[0] == '1' && v[1] == '\0') ? 1 : 2;
    __atomic_store_n(&state, s, __ATOMIC_RELAXED);
  }
  return s == 1;
}

static inline void rewind_checkpoint(const char* name) {
  if (!rewind_is_recorded()) return;
#if defined(__x86_64__)
  long result;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "0"((long)REWIND_CHECKPOINT_SYSCALL), "D"(name)
                   : "rcx", "r11", "memory");
  (void)result;
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = REWIND_CHECKPOINT_SYSCALL;
  register long x0 __asm__("x0") = (long)name;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory");
#else
  (void)name; /* rewind records no other architecture */
#endif
}

#ifdef __cplusplus
}
#endif

#endif /* REWIND_CHECKPOINT_H_ */
