/* Which buffer belongs to the calling thread (syscallbuf.c, entry.S).
 *
 * A table in the library's memory maps a thread pointer to its buffer's
 * header. The thread pointer alone does not name a thread: glibc gives a
 * new thread the TCB of one that ended, and a forked child keeps its
 * parent's. So each entry also holds the tid glibc keeps in the thread's
 * descriptor (which the kernel rewrites for every new thread and process),
 * at the offset glibc publishes for debuggers (_thread_db_pthread_tid).
 *
 * Not a per-thread register (the gs base, as before): on these machines
 * (no FSGSBASE, a paravirtualized guest) a thread with a gs base of its own
 * pays an MSR write at every switch to it, ~10 us, which every ptrace stop
 * is. A thread that makes no routed syscall costs nothing here. */
#ifndef REWIND_PRELOAD_THREAD_TABLE_H_
#define REWIND_PRELOAD_THREAD_TABLE_H_

/* rwd_sb_lookup's answers besides a header's address. */
#define RWD_SB_THREAD_UNKNOWN 0    /* no entry yet: a new thread */
#define RWD_SB_THREAD_UNBUFFERED 1 /* the thread has no buffer */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* Finds the tid in glibc's thread descriptor; without it only the first
 * thread that registers gets a buffer. The constructor calls it. */
void rwd_sb_thread_table_init(void);
/* The calling thread's header, or one of the values above. Reads memory
 * only; the entry code calls it on the program's stack. */
uint64_t rwd_sb_lookup(void);
/* The calling thread's entry, set to RWD_SB_THREAD_UNBUFFERED; its owner
 * then stores its header there. 0 when the table has no room near the
 * thread's slot: the thread stays unbuffered. */
struct thread_entry {
  uint64_t tp; /* 0: free */
  uint64_t header;
  int64_t tid;
  uint64_t unused;
};
struct thread_entry* rwd_sb_thread_table_claim(void);
#endif /* __ASSEMBLER__ */

#endif /* REWIND_PRELOAD_THREAD_TABLE_H_ */
