/* Routes libc's syscall sites into the library (x86-64).
 *
 * glibc's wrappers end almost all of their syscalls the same way: `syscall`
 * followed by `cmp rax, -4096` (or -4095, or the 32-bit `cmp eax`); the
 * getters that cannot fail are `mov eax, NR; syscall; ret`. The 7 or 8
 * bytes of such a pair become a `jmp` to a stub of our own, which steps
 * below the red zone, calls rwd_sb_entry (with the `mov` before it or the
 * `cmp` after it) and jumps to the instruction after the pair. So do the
 * futex wakes `mov eax, NR; syscall; ret` of glibc's lock release, and the
 * `mov eax, NR; syscall` of rt_sigprocmask. Nothing but the pair's first
 * byte is a direct branch target in the glibc this was checked against
 * (Debian 12's 2.36: 443 + 7 + 2 + 15 sites); other shapes are left alone
 * and stay traced. (The vDSO's clock functions, which rewind turns
 * into syscalls, cannot be patched from inside: mprotect refuses to make
 * the vDSO writable. syscallbuf.c interposes them instead.)
 *
 * Runs once, in the library's constructor, while the program has one
 * thread; its mprotects are ordinary traced syscalls, so replay patches
 * identically. */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "preload/x86_64/sb_arch.h"

/* A stub: 5 + up to 5 (the `mov` before) + 6 (call) + 8 + 6 (nops, the
 * `cmp` after) + 5 (jmp) bytes. */
enum { kMaxSites = 2048, kStubSize = 40, kStubsHeader = 16, kMaxAfter = 6 };

struct text_range {
  uintptr_t start;
  uintptr_t end;
};

/* How a site is replaced. */
struct site_shape {
  int len;    /* bytes replaced by the jump and its padding */
  int before; /* of them, copied into the stub before the call */
  int after;  /* ... and after it */
  int resume; /* where the stub jumps back to, from the site's start */
};

struct site {
  uintptr_t addr;
  struct site_shape shape;
};

static int FindLibcText(struct dl_phdr_info* info, size_t size, void* data) {
  (void)size;
  const char* name = info->dlpi_name;
  size_t n = name ? strlen(name) : 0;
  static const char kLibc[] = "/libc.so.6";
  if (n < sizeof(kLibc) - 1 || memcmp(name + n - (sizeof(kLibc) - 1), kLibc, sizeof(kLibc) - 1)) {
    return 0;
  }
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)* ph = &info->dlpi_phdr[i];
    if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
      struct text_range* r = data;
      r->start = info->dlpi_addr + ph->p_vaddr;
      r->end = r->start + ph->p_memsz;
      return 1;
    }
  }
  return 0;
}

static uint32_t MovEaxImm(const uint8_t* p) {
  return (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24;
}

/* A patchable site of libc at p. Never vfork, clone and the like: their
 * child must not return through our frames. */
static struct site_shape LibcShapeAt(const uint8_t* p) {
  struct site_shape none = {0, 0, 0, 0};
  if (p[0] == 0x0f && p[1] == 0x05) {
    if (p[2] == 0x48 && p[3] == 0x3d && (p[4] == 0x00 || p[4] == 0x01) && p[5] == 0xf0 &&
        p[6] == 0xff && p[7] == 0xff) {
      return (struct site_shape){8, 0, 6, 8};
    }
    if (p[2] == 0x3d && p[3] == 0x00 && p[4] == 0xf0 && p[5] == 0xff && p[6] == 0xff) {
      return (struct site_shape){7, 0, 5, 7};
    }
    return none;
  }
  if (p[0] == 0xb8 && p[5] == 0x0f && p[6] == 0x05) {
    switch (MovEaxImm(p)) {
      case SYS_getpid:
      case SYS_gettid:
      case SYS_getppid:
      case SYS_getuid:
      case SYS_geteuid:
      case SYS_getgid:
      case SYS_getegid:
        return (struct site_shape){7, 5, 0, 7};
      case SYS_rt_sigprocmask:
        /* pthread_sigmask and the like keep the result in eax for their
         * own check: `mov eax, NR; syscall` then any instruction (15 sites
         * in Debian 12's glibc, none jumped into). Only its queries are
         * buffered. */
        return (struct site_shape){7, 5, 0, 7};
      case SYS_futex:
        /* __lll_lock_wake(_private), the wake of every contended mutex
         * unlock: `mov eax, NR; syscall; ret`, its result ignored. */
        return p[7] == 0xc3 ? (struct site_shape){7, 5, 0, 7} : none;
      default:
        return none;
    }
  }
  return none;
}

/* Every site holds a `syscall` (0f 05) at its start or, in the `mov eax`
 * form, 5 bytes in: only the bytes just before each syscall instruction
 * need a look, and memchr (libc's vector code; the scan runs before any
 * patching) finds those in a fraction of the time a look at every byte of
 * libc's text takes (~2.8 ms, paid by every process at its start). The
 * sites found are the same: those a look at every byte from the text's
 * start finds, each look past the previous site's end. */
static int Scan(struct text_range text, struct site_shape (*shape_at)(const uint8_t*),
                struct site* sites, int n) {
  uintptr_t next = text.start; /* the first byte not yet looked at */
  uintptr_t from = text.start; /* where the next search for 0x05 starts */
  while (n < kMaxSites && from < text.end) {
    const uint8_t* hit = memchr((const void*)from, 0x05, text.end - from);
    if (!hit) break;
    from = (uintptr_t)hit + 1;
    if ((uintptr_t)hit == text.start || hit[-1] != 0x0f) continue;
    uintptr_t syscall_insn = (uintptr_t)hit - 1;
    uintptr_t p = syscall_insn - text.start >= 5 ? syscall_insn - 5 : text.start;
    if (p < next) p = next;
    for (; p <= syscall_insn && p + 8 <= text.end && n < kMaxSites; ++p) {
      struct site_shape shape = shape_at((const uint8_t*)p);
      if (!shape.len) continue;
      sites[n++] = (struct site){p, shape};
      p += (uintptr_t)shape.resume - 1;
    }
    if (p > next) next = p;
  }
  return n;
}

static int Rel32Fits(intptr_t from, intptr_t to) {
  intptr_t d = to - from;
  return d > -0x7fff0000l && d < 0x7fff0000l;
}

/* By hand, not memcpy: it runs while libc's text is not executable. */
static void PutRel32(uint8_t* at, uintptr_t next_insn, uintptr_t target) {
  uint32_t rel = (uint32_t)(int32_t)((intptr_t)target - (intptr_t)next_insn);
  for (int k = 0; k < 4; ++k) at[k] = (uint8_t)(rel >> (8 * k));
}

static void WriteStub(uint8_t* s, uintptr_t entry_slot, const struct site* site) {
  const uint8_t* code = (const uint8_t*)site->addr;
  uint8_t* q = s;
  static const uint8_t kBelowRedZone[] = {0x48, 0x8d, 0x64, 0x24, 0x80}; /* lea rsp,[rsp-128] */
  memcpy(q, kBelowRedZone, sizeof(kBelowRedZone));
  q += sizeof(kBelowRedZone);
  memcpy(q, code, (size_t)site->shape.before);
  q += site->shape.before;
  q[0] = 0xff; /* call [rip+disp32] -> the entry pointer at the area's start */
  q[1] = 0x15;
  PutRel32(q + 2, (uintptr_t)(q + 6), entry_slot);
  q += 6;
  static const uint8_t kBack[] = {0x48, 0x8d, 0xa4, 0x24, 0x80, 0, 0, 0}; /* lea rsp,[rsp+128] */
  memcpy(q, kBack, sizeof(kBack));
  q += sizeof(kBack);
  /* The jmp back at the same distance from the call in every stub: the
   * unwind information of rwd_sb_entry finds it there (entry.S). */
  for (int k = site->shape.after; k < kMaxAfter; ++k) *q++ = 0x90;
  memcpy(q, code + site->shape.len - site->shape.after, (size_t)site->shape.after);
  q += site->shape.after;
  q[0] = 0xe9; /* jmp back after the replaced instructions */
  PutRel32(q + 1, (uintptr_t)(q + 5), site->addr + (uintptr_t)site->shape.resume);
  q += 5;
  while (q < s + kStubSize) *q++ = 0xcc;
}

/* Replaces sites[from, to) of `text` by jumps to their stubs. */
static void PatchRange(const struct site* sites, int from, int to, uintptr_t stubs) {
  if (from >= to) return;
  uintptr_t first = sites[from].addr & ~(uintptr_t)0xfff;
  uintptr_t last = (sites[to - 1].addr + 8 + 4095) & ~(uintptr_t)0xfff;
  /* Writable without PROT_EXEC meanwhile: no code of this range runs
   * until it is back (the loop below calls nothing). */
  if (rwd_sb_traced(SYS_mprotect, (long)first, (long)(last - first), PROT_READ | PROT_WRITE, 0, 0,
                    0) != 0) {
    return;
  }
  for (int i = from; i < to; ++i) {
    uint8_t* site = (uint8_t*)sites[i].addr;
    uintptr_t stub = stubs + kStubsHeader + (size_t)i * kStubSize;
    uint8_t patch[8];
    patch[0] = 0xe9;
    PutRel32(patch + 1, sites[i].addr + 5, stub);
    for (int k = 5; k < sites[i].shape.len; ++k) patch[k] = 0xcc;
    for (int k = 0; k < sites[i].shape.len; ++k) site[k] = patch[k];
  }
  rwd_sb_traced(SYS_mprotect, (long)first, (long)(last - first), PROT_READ | PROT_EXEC, 0, 0, 0);
}

int rwd_sb_patch_libc(void) {
  struct text_range libc = {0, 0};
  if (!dl_iterate_phdr(FindLibcText, &libc) || libc.end <= libc.start + 8) return 0;
  static struct site sites[kMaxSites];
  int n = Scan(libc, LibcShapeAt, sites, 0);
  if (n == 0) return 0;
  size_t stubs_len = (kStubsHeader + (size_t)n * kStubSize + 4095) & ~(size_t)4095;
  /* Just below libc, where rel32 jumps reach. */
  uintptr_t hint = (libc.start & ~(uintptr_t)0xfff) - stubs_len - 0x100000;
  long area = rwd_sb_traced(SYS_mmap, (long)hint, (long)stubs_len, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area < 0 && area > -4096) return 0;
  uintptr_t stubs = (uintptr_t)area;
  for (int i = 0; i < n; ++i) {
    if (!Rel32Fits((intptr_t)stubs, (intptr_t)sites[i].addr) ||
        !Rel32Fits((intptr_t)(stubs + stubs_len), (intptr_t)sites[i].addr)) {
      rwd_sb_traced(SYS_munmap, (long)stubs, (long)stubs_len, 0, 0, 0, 0);
      return 0;
    }
  }
  uintptr_t entry = (uintptr_t)&rwd_sb_entry;
  memcpy((void*)stubs, &entry, sizeof(entry));
  for (int i = 0; i < n; ++i) {
    WriteStub((uint8_t*)(stubs + kStubsHeader + (size_t)i * kStubSize), stubs, &sites[i]);
  }
  rwd_sb_traced(SYS_mprotect, (long)stubs, (long)stubs_len, PROT_READ | PROT_EXEC, 0, 0, 0);
  PatchRange(sites, 0, n, stubs);
  return n;
}
