/* librewind_syscallbuf.so: the in-process syscall buffer (see
 * syscallbuf_abi.h for the protocol with the recorder and replayer).
 *
 * Loaded with LD_PRELOAD by `rewind record --syscallbuf`. Its constructor
 * registers the main thread's buffer and, when rewind answers, routes libc's
 * syscall sites here (x86_64/patch.c). Other threads register on their first
 * routed syscall. The hot path (rwd_sb_handle) calls nothing of libc's:
 * it may run inside any libc function.
 *
 * Buffered here, recording: calls that cannot block and whose only effects
 * are their result and the memory described below: reads and writes of
 * regular files, directories and the memory devices (/dev/null, /dev/zero,
 * ...), stat-likes, getdents64, lseek, close, openat of directories and
 * regular files, unlink, mkdir and rename, clock_gettime, gettimeofday,
 * getpid-likes, futex wakes, isatty's ioctl, and the queries of a signal's
 * action and of the signal mask.
 * Everything else (pipes, sockets, futex waits, ...) goes to the tracer as
 * before. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "preload/syscallbuf_abi.h"
#include "preload/thread_table.h"
#include "preload/x86_64/sb_arch.h"

_Static_assert(sizeof(struct rwd_sb_header) == RWD_SB_HEADER_SIZE, "the records follow it");

/* The arguments rwd_sb_entry collected, and the result of a handled call
 * (layout fixed by the entry code). */
struct rwd_sb_call {
  long nr;
  long a[6];
  long result;
};

/* Where a call's outputs go and how long they may be. */
struct out_rule {
  int arg;       /* argument holding the pointer, -1 for none */
  long max;      /* bytes reserved before the call */
  int by_result; /* at most `result` bytes (else `max`), on success */
};

#define kMaxOuts 2
#define kMaxBufferedBytes (64 * 1024)
/* ioctl's TCGETS and the kernel struct termios it writes (every
 * architecture's); the kernel's sigset and the sigaction fields before it
 * (handler, flags, restorer). */
#define kTcgets 0x5401
#define kKernelTermiosBytes 36
#define kSigsetBytes 8
#define kKernelSigactionHead 24

/* The code whose path differs between record and replay (the buffered
 * path) goes in one section, whose bounds the recorder gets at
 * registration: a thread stopped there is walked out before its point is
 * fingerprinted. The linker defines __start_/__stop_ for it. */
#define HOT __attribute__((section("rwd_sb_hot"), noinline))
extern const char __start_rwd_sb_hot[] __attribute__((visibility("hidden")));
extern const char __stop_rwd_sb_hot[] __attribute__((visibility("hidden")));

static int g_enabled;
static uint64_t g_next_slot;

HOT static int IsError(long r) { return r < 0 && r > -4096; }

HOT static void Copy(void* to, const void* from, uint64_t n) {
  uint8_t* d = to;
  const uint8_t* s = from;
  while (n >= 8) {
    uint64_t w;
    __builtin_memcpy(&w, s, 8);
    __builtin_memcpy(d, &w, 8);
    d += 8;
    s += 8;
    n -= 8;
  }
  while (n--) *d++ = *s++;
}

/* Handled calls return 1 with their result in c->result; 0 leaves the
 * call to the tracer (rwd_sb_entry makes it, on the program's stack). */
enum { kTraced = 0, kHandled = 1 };

/* `patching`: the constructor's registration, which RWD_SB_READY ends.
 * Records the outcome in the thread table either way. */
static struct rwd_sb_header* RegisterThread(long patching) {
  struct thread_entry* entry = rwd_sb_thread_table_claim();
  if (!entry) return 0;
  for (int tries = 0; tries < 64; ++tries) {
    uint64_t slot = __atomic_fetch_add(&g_next_slot, 1, __ATOMIC_RELAXED);
    if (slot >= RWD_SB_MAX_SLOTS) break;
    uint64_t want = RWD_SB_BUFFERS + slot * RWD_SB_BUFFER_SIZE;
    long addr = rwd_sb_traced(SYS_mmap, (long)want, RWD_SB_BUFFER_SIZE, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (addr == -17 /* EEXIST: another thread's, or a parent's before fork */) continue;
    if (IsError(addr) || (uint64_t)addr != want) return 0;
    struct rwd_sb_header* h = (struct rwd_sb_header*)addr;
    h->magic = RWD_SB_MAGIC;
    long r = rwd_sb_traced(RWD_SB_REGISTER, addr, RWD_SB_BUFFER_SIZE, (long)__start_rwd_sb_hot,
                           (long)__stop_rwd_sb_hot, patching, 0);
    if (r != 0 || h->mode == RWD_SB_MODE_OFF) {
      rwd_sb_traced(SYS_munmap, addr, RWD_SB_BUFFER_SIZE, 0, 0, 0, 0);
      return 0;
    }
    entry->header = (uint64_t)addr;
    return h;
  }
  return 0;
}

/* Which calls may be buffered at all, and their outputs. Replay relies on
 * this part only; recording also checks DynamicOk. */
HOT static int Rules(const struct rwd_sb_call* c, struct out_rule* outs, int* nouts) {
  *nouts = 0;
  switch (c->nr) {
    case SYS_read:
    case SYS_pread64:
    case SYS_getdents64:
      outs[(*nouts)++] = (struct out_rule){1, c->a[2], 1};
      return c->a[2] >= 0 && c->a[2] <= kMaxBufferedBytes;
    case SYS_readlinkat:
    case SYS_getxattr:
    case SYS_lgetxattr:
    case SYS_fgetxattr:
      outs[(*nouts)++] = (struct out_rule){2, c->a[3], 1};
      return c->a[3] >= 0 && c->a[3] <= kMaxBufferedBytes;
      RWD_SB_ARCH_RULES
    case SYS_write:
    case SYS_pwrite64:
      return c->a[2] >= 0 && c->a[2] <= kMaxBufferedBytes;
    case SYS_fstat:
      outs[(*nouts)++] = (struct out_rule){1, sizeof(struct stat), 0};
      return 1;
    case SYS_newfstatat:
      outs[(*nouts)++] = (struct out_rule){2, sizeof(struct stat), 0};
      return 1;
    case SYS_statx:
      outs[(*nouts)++] = (struct out_rule){4, 256, 0};
      return 1;
    case SYS_clock_gettime:
      outs[(*nouts)++] = (struct out_rule){1, sizeof(struct timespec), 0};
      return 1;
    case SYS_gettimeofday:
      outs[(*nouts)++] = (struct out_rule){0, 16, 0};
      outs[(*nouts)++] = (struct out_rule){1, 8, 0};
      return 1;
    case SYS_futex:
      /* Its wakes only: they never block and write nothing. The woken
       * thread runs after this one's next event, which writes this batch
       * first (arch/syscall_table.h, BufferableCall). */
      return (c->a[1] & FUTEX_CMD_MASK) == FUTEX_WAKE ||
             (c->a[1] & FUTEX_CMD_MASK) == FUTEX_WAKE_BITSET;
    case SYS_ioctl:
      /* TCGETS (isatty, tcgetattr) only: a kernel struct termios. */
      outs[(*nouts)++] = (struct out_rule){2, kKernelTermiosBytes, 0};
      return c->a[1] == kTcgets;
    case SYS_rt_sigaction:
      /* Queries only (no new action): setting a handler is signal state
       * that replay must set for real. The old action is kernel-sized. */
      outs[(*nouts)++] = (struct out_rule){2, kKernelSigactionHead + kSigsetBytes, 0};
      return c->a[1] == 0 && c->a[3] == kSigsetBytes;
    case SYS_rt_sigprocmask:
      /* Queries only (no new set), likewise. */
      outs[(*nouts)++] = (struct out_rule){2, kSigsetBytes, 0};
      return c->a[1] == 0 && c->a[3] == kSigsetBytes;
    case SYS_close:
    case SYS_lseek:
    case SYS_openat:
    case SYS_faccessat:
    case SYS_unlinkat:
    case SYS_mkdirat:
    case SYS_renameat:
    case SYS_renameat2:
    case SYS_getpid:
    case SYS_gettid:
    case SYS_getppid:
    case SYS_getuid:
    case SYS_geteuid:
    case SYS_getgid:
    case SYS_getegid:
      return 1;
    default:
      return 0;
  }
}

HOT static uint64_t Major(uint64_t rdev) {
  return ((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffull);
}

/* A file a read or write of cannot block. */
HOT static int NeverBlocks(const struct stat* st) {
  switch (st->st_mode & S_IFMT) {
    case S_IFREG:
    case S_IFDIR:
      return 1;
    case S_IFCHR:
      return Major(st->st_rdev) == 1; /* /dev/null, /dev/zero, /dev/urandom, ... */
    default:
      return 0;
  }
}

/* What a buffered read or write needs to know of its fd, cached per thread
 * at the low end of its buffer's stack (RWD_SB_FD_CLASSES): an fd names the
 * same open file until it is closed or replaced, and its file's type,
 * device and inode never change. An entry holds while both generations
 * are the ones it was filled under: the library's, which its buffered
 * closes bump (any thread's: the fds are the process's), and the
 * tracer's, which it bumps after every traced syscall that may close or
 * replace an fd. */
struct fd_class {
  uint64_t library_generation;
  uint64_t tracer_generation;
  uint8_t known;
  uint8_t never_blocks;
  uint8_t regular;
  uint8_t stream; /* 1 or 2: the recorder's stdout or stderr */
  uint32_t unused;
};

enum { kFdClasses = 128 };
_Static_assert(kFdClasses * sizeof(struct fd_class) <= RWD_SB_FD_CLASSES_SIZE, "fits its area");

static uint64_t g_fd_generation;

/* Fills `out` for `fd` from the cache or an fstat; 0 when fstat fails. */
HOT static int ClassOf(const struct rwd_sb_header* h, long fd, struct fd_class* out) {
  uint64_t library_generation = __atomic_load_n(&g_fd_generation, __ATOMIC_RELAXED);
  uint64_t tracer_generation = __atomic_load_n(&h->fd_generation, __ATOMIC_RELAXED);
  struct fd_class* cached = 0;
  if (fd >= 0 && fd < kFdClasses) {
    cached = (struct fd_class*)((uint8_t*)h + RWD_SB_FD_CLASSES) + fd;
    if (cached->known && cached->library_generation == library_generation &&
        cached->tracer_generation == tracer_generation) {
      *out = *cached;
      return 1;
    }
  }
  struct stat st;
  if (rwd_sb_untraced(SYS_fstat, fd, (long)&st, 0, 0, 0, 0) != 0) return 0;
  *out = (struct fd_class){library_generation, tracer_generation, 1, (uint8_t)NeverBlocks(&st),
                           (st.st_mode & S_IFMT) == S_IFREG, 0, 0};
  for (int i = 0; i < 2; ++i) {
    if (h->stream_ino[i] != 0 && st.st_dev == h->stream_dev[i] && st.st_ino == h->stream_ino[i]) {
      out->stream = (uint8_t)(i + 1);
    }
  }
  if (cached) *cached = *out;
  return 1;
}

/* Recording only: whether this call cannot block; `stream` gets 1 or 2 for
 * a write to the recorder's stdout or stderr. */
HOT static int DynamicOk(const struct rwd_sb_header* h, const struct rwd_sb_call* c, int* stream) {
  struct stat st;
  struct fd_class fd;
  long r;
  *stream = 0;
  switch (c->nr) {
    case SYS_read:
    case SYS_pread64:
    case SYS_write:
    case SYS_pwrite64:
      if (!ClassOf(h, c->a[0], &fd) || !fd.never_blocks) return 0;
      if (c->nr == SYS_write || c->nr == SYS_pwrite64) {
        if (__atomic_load_n(&h->trace_file_writes, __ATOMIC_RELAXED) && fd.regular) return 0;
        *stream = fd.stream;
      }
      return 1;
    case SYS_openat:
      if (c->a[2] & O_DIRECTORY) return 1;
      /* A regular file; or none, which the call creates (a regular one) or
       * fails to find: neither blocks. */
      r = rwd_sb_untraced(SYS_newfstatat, c->a[0], c->a[1], (long)&st, 0, 0, 0);
      return r == -ENOENT || (r == 0 && (st.st_mode & S_IFMT) == S_IFREG);
    default:
      return 1;
  }
}

HOT static uint64_t Round8(uint64_t n) { return (n + 7) & ~7ull; }

/* 1 + the offset of the first byte where `a` and `b` differ, 0 if none. */
HOT static uint64_t FirstDifference(const uint8_t* a, const uint8_t* b, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return i + 1;
  }
  return 0;
}

HOT static int Record(struct rwd_sb_header* h, struct rwd_sb_call* c) {
  struct out_rule outs[kMaxOuts];
  int nouts = 0;
  int stream = 0;
  if (__atomic_load_n(&h->boundary_wanted, __ATOMIC_RELAXED)) return kTraced;
  if (!Rules(c, outs, &nouts) || !DynamicOk(h, c, &stream)) return kTraced;
  uint64_t need = sizeof(struct rwd_sb_record);
  for (int i = 0; i < nouts; ++i) need += sizeof(struct rwd_sb_out) + Round8((uint64_t)outs[i].max);
  if (stream) need += sizeof(struct rwd_sb_out) + Round8((uint64_t)c->a[2]);
  if (h->used + need > RWD_SB_CAPACITY) return kTraced;

  h->busy = 1;
  long r = rwd_sb_untraced(c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
  uint8_t* base = (uint8_t*)h + RWD_SB_HEADER_SIZE + h->used;
  struct rwd_sb_record* rec = (struct rwd_sb_record*)base;
  uint8_t* p = base + sizeof(*rec);
  uint16_t nout = 0;
  if (!IsError(r)) {
    for (int i = 0; i < nouts; ++i) {
      uint64_t addr = (uint64_t)c->a[outs[i].arg];
      /* getxattr with size 0 returns the size it would write, writing none. */
      uint64_t len = (uint64_t)outs[i].max;
      if (outs[i].by_result && (uint64_t)r < len) len = (uint64_t)r;
      if (addr == 0 || len == 0) continue;
      struct rwd_sb_out* o = (struct rwd_sb_out*)p;
      o->addr = addr;
      o->len = len;
      Copy(p + sizeof(*o), (const void*)addr, len);
      p += sizeof(*o) + Round8(len);
      ++nout;
    }
    if (stream && r > 0) {
      struct rwd_sb_out* o = (struct rwd_sb_out*)p;
      o->addr = (uint64_t)c->a[1];
      o->len = (uint64_t)r;
      Copy(p + sizeof(*o), (const void*)c->a[1], (uint64_t)r);
      p += sizeof(*o) + Round8((uint64_t)r);
      nout = 1;
    }
  }
  rec->nr = c->nr;
  for (int i = 0; i < 6; ++i) rec->args[i] = (uint64_t)c->a[i];
  rec->result = r;
  rec->nout = nout;
  rec->stream = (uint16_t)(stream && r > 0 ? stream : 0);
  rec->size = (uint32_t)(p - base);
  h->used += rec->size;
  h->count += 1;
  h->busy = 0;
  c->result = r;
  return kHandled;
}

HOT static int Replay(struct rwd_sb_header* h, struct rwd_sb_call* c) {
  struct out_rule outs[kMaxOuts];
  int nouts = 0;
  /* Past the batch, or a call that was never buffered: the tracer's. So
   * is every call while a debugger catches syscalls: the replayer takes
   * the batch's records at their stops. */
  if (h->expand || h->consumed >= h->count || !Rules(c, outs, &nouts)) return kTraced;
  const uint8_t* base = (const uint8_t*)h + RWD_SB_HEADER_SIZE + h->consumed_bytes;
  const struct rwd_sb_record* rec = (const struct rwd_sb_record*)base;
  int same = rec->nr == c->nr;
  for (int i = 0; i < 6; ++i) same = same && rec->args[i] == (uint64_t)c->a[i];
  if (!same) {
    h->seen_nr = c->nr;
    for (int i = 0; i < 6; ++i) h->seen_args[i] = (uint64_t)c->a[i];
    for (;;) rwd_sb_traced(RWD_SB_DIVERGED, 0, 0, 0, 0, 0, 0);
  }
  const uint8_t* p = base + sizeof(*rec);
  for (uint16_t i = 0; i < rec->nout; ++i) {
    const struct rwd_sb_out* o = (const struct rwd_sb_out*)p;
    if (rec->stream) {
      /* Replay shows the recorded bytes: a program that computed others
       * has left the recording, though the call looks the same. */
      uint64_t differs = FirstDifference((const uint8_t*)c->a[1], p + sizeof(*o), o->len);
      if (differs) {
        h->seen_output_differs = differs;
        h->seen_nr = c->nr;
        for (int k = 0; k < 6; ++k) h->seen_args[k] = (uint64_t)c->a[k];
        for (;;) rwd_sb_traced(RWD_SB_DIVERGED, 0, 0, 0, 0, 0, 0);
      }
    } else {
      Copy((void*)o->addr, p + sizeof(*o), o->len);
    }
    p += sizeof(*o) + Round8(o->len);
  }
  h->consumed += 1;
  h->consumed_bytes += rec->size;
  c->result = rec->result;
  return kHandled;
}

int rwd_sb_handle(struct rwd_sb_call* c, struct rwd_sb_header* h)
    __attribute__((visibility("hidden")));

/* `h`: the calling thread's header from rwd_sb_lookup, or
 * RWD_SB_THREAD_UNKNOWN / RWD_SB_THREAD_UNBUFFERED (thread_table.h). */
HOT int rwd_sb_handle(struct rwd_sb_call* c, struct rwd_sb_header* h) {
  if ((uint64_t)h == RWD_SB_THREAD_UNKNOWN) {
    /* A new thread (or a forked child). This call runs on the program's
     * stack: registering is the same path in record and replay; the call
     * itself is traced. */
    if (g_enabled) RegisterThread(0);
    return kTraced;
  }
  if ((uint64_t)h == RWD_SB_THREAD_UNBUFFERED) return kTraced;
  if (h->locked || h->busy) return kTraced;
  int handled = kTraced;
  if (h->mode == RWD_SB_MODE_REPLAY) handled = Replay(h, c);
  if (h->mode == RWD_SB_MODE_RECORD) handled = Record(h, c);
  /* In replay too, so that the library's memory is the same in both. */
  if (handled && c->nr == SYS_close) __atomic_fetch_add(&g_fd_generation, 1, __ATOMIC_RELAXED);
  return handled;
}

static int MapUntracedPage(void) {
  long page = rwd_sb_traced(SYS_mmap, RWD_SB_PAGE, 4096, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if ((uint64_t)page != RWD_SB_PAGE) return 0;
  static const uint8_t kCode[] = RWD_SB_UNTRACED_CODE;
  Copy((void*)page, kCode, sizeof(kCode));
  return rwd_sb_traced(SYS_mprotect, page, 4096, PROT_READ | PROT_EXEC, 0, 0, 0) == 0;
}

__attribute__((constructor)) static void rwd_sb_init(void) {
  rwd_sb_thread_table_init();
  struct rwd_sb_header* h = RegisterThread(RWD_SB_REGISTER_PATCHING);
  if (!h) return;
  if (MapUntracedPage()) {
    g_enabled = 1;
    rwd_sb_patch_libc();
  } else {
    h->mode = RWD_SB_MODE_OFF;
  }
  rwd_sb_traced(RWD_SB_READY, 0, 0, 0, 0, 0, 0);
}

/* The vDSO's clock functions: rewind turns them into syscalls (its patch of
 * the vDSO), which no libc site makes, and the vDSO cannot be made writable
 * from inside to patch them here. Calls through the PLT (the program's,
 * other libraries') come here instead and are buffered; libc's own calls
 * still reach the vDSO, traced. Without rewind: the vDSO's. */
static void* Next(const char* name) { return dlsym(RTLD_NEXT, name); }

static long ClockResult(long r) {
  if (!IsError(r)) return r;
  errno = (int)-r;
  return -1;
}

__attribute__((visibility("default"))) int clock_gettime(clockid_t clock, struct timespec* ts) {
  if (!g_enabled) {
    int (*next)(clockid_t, struct timespec*) = Next("clock_gettime");
    return next ? next(clock, ts)
                : (int)ClockResult(rwd_sb_traced(SYS_clock_gettime, clock, (long)ts, 0, 0, 0, 0));
  }
  return (int)ClockResult(rwd_sb_call_entry(SYS_clock_gettime, clock, (long)ts));
}

__attribute__((visibility("default"))) int gettimeofday(struct timeval* tv, void* tz) {
  if (!g_enabled) {
    int (*next)(struct timeval*, void*) = Next("gettimeofday");
    return next ? next(tv, tz)
                : (int)ClockResult(rwd_sb_traced(SYS_gettimeofday, (long)tv, (long)tz, 0, 0, 0, 0));
  }
  return (int)ClockResult(rwd_sb_call_entry(SYS_gettimeofday, (long)tv, (long)tz));
}
