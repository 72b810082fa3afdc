/* The thread table: see thread_table.h. */
#define _GNU_SOURCE
#include "preload/thread_table.h"

#include <dlfcn.h>

#include "preload/x86_64/sb_arch.h"

/* In the library's hot section (syscallbuf.c): a thread stopped inside it
 * is walked out before its point is fingerprinted, as in the rest of the
 * entry path. */
#define HOT __attribute__((section("rwd_sb_hot"), noinline))

enum { kEntries = 4096, kProbes = 32 };

static struct thread_entry g_table[kEntries];
/* Offset of the tid in glibc's thread descriptor from the thread pointer;
 * -1: unknown. */
static long g_tid_offset = -1;
/* Without the tid: whether the one thread that may buffer has registered. */
static int g_first_registered;

void rwd_sb_thread_table_init(void) {
  /* glibc's descriptor for libthread_db: { size in bits, count, offset }. */
  const uint32_t* tid = dlsym(RTLD_DEFAULT, "_thread_db_pthread_tid");
  if (tid && tid[0] == 32 && tid[1] == 1 && tid[2] < 4096) g_tid_offset = (long)tid[2];
}

HOT static uint64_t Slot(uint64_t tp) { return ((tp >> 4) * 0x9e3779b97f4a7c15ull) >> 52; }

HOT static int64_t Tid(uint64_t tp) {
  return g_tid_offset < 0 ? 0 : *(const volatile int32_t*)(tp + (uint64_t)g_tid_offset);
}

HOT uint64_t rwd_sb_lookup(void) {
  uint64_t tp = rwd_sb_thread_pointer();
  uint64_t slot = Slot(tp);
  for (int i = 0; i < kProbes; ++i) {
    const struct thread_entry* e = &g_table[(slot + (uint64_t)i) % kEntries];
    uint64_t key = __atomic_load_n(&e->tp, __ATOMIC_ACQUIRE);
    if (key == 0) break;
    if (key != tp) continue;
    if (e->tid != Tid(tp)) return RWD_SB_THREAD_UNKNOWN; /* a new thread in an old TCB */
    return e->header;
  }
  /* Without the tid, a thread that is not the first has no buffer. */
  return g_tid_offset < 0 && g_first_registered ? RWD_SB_THREAD_UNBUFFERED
                                                : RWD_SB_THREAD_UNKNOWN;
}

/* Only the thread whose TCB an entry names reads or writes its header and
 * tid: other threads skip it. */
HOT struct thread_entry* rwd_sb_thread_table_claim(void) {
  uint64_t tp = rwd_sb_thread_pointer();
  uint64_t slot = Slot(tp);
  g_first_registered = 1;
  for (int i = 0; i < kProbes; ++i) {
    struct thread_entry* e = &g_table[(slot + (uint64_t)i) % kEntries];
    uint64_t key = __atomic_load_n(&e->tp, __ATOMIC_ACQUIRE);
    if (key == 0) {
      /* Another new thread may be claiming it too. */
      if (!__atomic_compare_exchange_n(&e->tp, &key, tp, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE) &&
          key != tp) {
        continue;
      }
    } else if (key != tp) {
      continue;
    }
    e->header = RWD_SB_THREAD_UNBUFFERED;
    e->tid = Tid(tp);
    return e;
  }
  return 0;
}
