/* Routes libc's syscall sites into the library (x86-64).
 *
 * glibc's wrappers end almost all of their syscalls the same way: `syscall`
 * followed by `cmp rax, -4096` (or -4095, or the 32-bit `cmp eax`); the
 * getters that cannot fail are `mov eax, NR; syscall; ret`. The 7 or 8
 * bytes of such a pair become a `jmp` to a stub of our own, which steps
 * below the red zone, calls rwd_sb_entry (with the `mov` before it or the
 * `cmp` after it) and jumps to the instruction after the pair. Nothing but
 * the pair's first byte is a direct branch target in the glibc this was
 * checked against (Debian 12's 2.36: 443 + 7 sites); other shapes are left
 * alone and stay traced. Runs once, in the library's constructor,
 * while the program has one thread; its mprotects are ordinary traced
 * syscalls, so replay patches identically. */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "preload/x86_64/sb_arch.h"

void rwd_sb_entry(void);

enum { kMaxSites = 2048, kStubSize = 32, kStubsHeader = 16 };

struct text_range {
  uintptr_t start;
  uintptr_t end;
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

/* A patchable site at p: `syscall; cmp` (the compare runs after the call,
 * in the stub) or, for the getters that cannot fail, `mov eax, NR; syscall`
 * (the mov runs before it). Never vfork, clone and the like: their child
 * must not return through our frames. */
struct site_shape {
  int len;    /* bytes replaced at the site */
  int before; /* of them, copied into the stub before the call */
  int after;  /* ... and after it */
};

static struct site_shape ShapeAt(const uint8_t* p) {
  struct site_shape none = {0, 0, 0};
  if (p[0] == 0x0f && p[1] == 0x05) {
    if (p[2] == 0x48 && p[3] == 0x3d && (p[4] == 0x00 || p[4] == 0x01) && p[5] == 0xf0 &&
        p[6] == 0xff && p[7] == 0xff) {
      return (struct site_shape){8, 0, 6};
    }
    if (p[2] == 0x3d && p[3] == 0x00 && p[4] == 0xf0 && p[5] == 0xff && p[6] == 0xff) {
      return (struct site_shape){7, 0, 5};
    }
    return none;
  }
  if (p[0] == 0xb8 && p[3] == 0 && p[4] == 0 && p[5] == 0x0f && p[6] == 0x05) {
    uint32_t nr = (uint32_t)p[1] | (uint32_t)p[2] << 8;
    switch (nr) {
      case SYS_getpid:
      case SYS_gettid:
      case SYS_getppid:
      case SYS_getuid:
      case SYS_geteuid:
      case SYS_getgid:
      case SYS_getegid:
        return (struct site_shape){7, 5, 0};
      default:
        return none;
    }
  }
  return none;
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

int rwd_sb_patch_libc(void) {
  struct text_range text = {0, 0};
  if (!dl_iterate_phdr(FindLibcText, &text) || text.end <= text.start + 8) return 0;
  static uintptr_t sites[kMaxSites];
  int n = 0;
  for (uintptr_t p = text.start; p + 8 <= text.end && n < kMaxSites; ++p) {
    if (ShapeAt((const uint8_t*)p).len) {
      sites[n++] = p;
      p += (uintptr_t)ShapeAt((const uint8_t*)p).len - 1;
    }
  }
  if (n == 0) return 0;
  size_t stubs_len = (kStubsHeader + (size_t)n * kStubSize + 4095) & ~(size_t)4095;
  /* Just below libc, where rel32 jumps reach. */
  uintptr_t hint = (text.start & ~(uintptr_t)0xfff) - stubs_len - 0x100000;
  long area = rwd_sb_traced(SYS_mmap, (long)hint, (long)stubs_len, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area < 0 && area > -4096) return 0;
  uintptr_t stubs = (uintptr_t)area;
  if (!Rel32Fits((intptr_t)stubs, (intptr_t)text.start) ||
      !Rel32Fits((intptr_t)stubs + (intptr_t)stubs_len, (intptr_t)text.end)) {
    rwd_sb_traced(SYS_munmap, (long)stubs, (long)stubs_len, 0, 0, 0, 0);
    return 0;
  }
  uintptr_t entry = (uintptr_t)&rwd_sb_entry;
  memcpy((void*)stubs, &entry, sizeof(entry));
  for (int i = 0; i < n; ++i) {
    uint8_t* s = (uint8_t*)(stubs + kStubsHeader + (size_t)i * kStubSize);
    const uint8_t* site = (const uint8_t*)sites[i];
    struct site_shape shape = ShapeAt(site);
    uint8_t* q = s;
    static const uint8_t kBelowRedZone[] = {0x48, 0x8d, 0x64, 0x24, 0x80}; /* lea rsp,[rsp-128] */
    memcpy(q, kBelowRedZone, sizeof(kBelowRedZone));
    q += sizeof(kBelowRedZone);
    memcpy(q, site, (size_t)shape.before);
    q += shape.before;
    q[0] = 0xff; /* call [rip+disp32] -> the entry pointer at the area's start */
    q[1] = 0x15;
    PutRel32(q + 2, (uintptr_t)(q + 6), stubs);
    q += 6;
    static const uint8_t kBack[] = {0x48, 0x8d, 0xa4, 0x24, 0x80, 0, 0, 0}; /* lea rsp,[rsp+128] */
    memcpy(q, kBack, sizeof(kBack));
    q += sizeof(kBack);
    memcpy(q, site + shape.len - shape.after, (size_t)shape.after);
    q += shape.after;
    q[0] = 0xe9; /* jmp back after the replaced instructions */
    PutRel32(q + 1, (uintptr_t)(q + 5), sites[i] + (uintptr_t)shape.len);
    q += 5;
    while (q < s + kStubSize) *q++ = 0xcc;
  }
  rwd_sb_traced(SYS_mprotect, (long)stubs, (long)stubs_len, PROT_READ | PROT_EXEC, 0, 0, 0);
  uintptr_t first = sites[0] & ~(uintptr_t)0xfff;
  uintptr_t last = (sites[n - 1] + 8 + 4095) & ~(uintptr_t)0xfff;
  /* Writable without PROT_EXEC meanwhile: no libc code runs until it is back. */
  if (rwd_sb_traced(SYS_mprotect, (long)first, (long)(last - first), PROT_READ | PROT_WRITE, 0, 0,
                    0) != 0) {
    return 0;
  }
  for (int i = 0; i < n; ++i) {
    uint8_t* site = (uint8_t*)sites[i];
    int len = ShapeAt(site).len;
    uintptr_t stub = stubs + kStubsHeader + (size_t)i * kStubSize;
    uint8_t patch[8];
    patch[0] = 0xe9;
    PutRel32(patch + 1, sites[i] + 5, stub);
    for (int k = 5; k < len; ++k) patch[k] = 0xcc;
    for (int k = 0; k < len; ++k) site[k] = patch[k];
  }
  rwd_sb_traced(SYS_mprotect, (long)first, (long)(last - first), PROT_READ | PROT_EXEC, 0, 0, 0);
  return n;
}
