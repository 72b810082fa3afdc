/* The syscall buffer's shared layout: what the preload library
 * (librewind_syscallbuf.so) and rewind's recorder and replayer agree on.
 *
 * Each thread of a recorded program that loaded the library owns one buffer,
 * a private anonymous mapping at a fixed address range (kept out of the
 * ranges programs use). The library announces it with a pseudo-syscall
 * (RWD_SB_REGISTER) that the tracer answers with 0 and a mode in the header;
 * without rewind, or with rewind not buffering, the call fails (ENOSYS) and
 * the library stays inactive.
 *  - Recording: the library runs a buffered syscall through the instruction
 *    at RWD_SB_UNTRACED_SYSCALL, which the recorder's seccomp filter lets
 *    through without a stop, and appends a record (number, arguments,
 *    result, the bytes the kernel wrote). The recorder reads and empties the
 *    buffer at each stop of the thread and writes it as one trace event.
 *  - Replay: before the thread runs to its next event, the replayer writes
 *    that event's batch into the buffer; the library returns recorded
 *    results and copies recorded bytes without making the syscalls, checks
 *    each call against its record, and on a mismatch reports it with the
 *    RWD_SB_DIVERGED pseudo-syscall.
 * The tracer writes only `mode`, `locked`, `used`, `count`, `consumed*`,
 * `expand` and the stream ids, and only while the thread is stopped; and
 * `boundary_wanted` and `fd_generation`, which the library only reads, at
 * any time.
 * The layout is fixed (RWD_SB_HEADER_SIZE): a new field takes a spare
 * slot that older libraries and tracers leave at 0 and ignore.
 * Plain C, fixed-size fields: the header is included by C++ too. */
#ifndef REWIND_PRELOAD_SYSCALLBUF_ABI_H_
#define REWIND_PRELOAD_SYSCALLBUF_ABI_H_

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/* The library's file name, next to the rewind binary. */
#define RWD_SB_LIBRARY_NAME "librewind_syscallbuf.so"

/* A page holding the untraced syscall instruction, mapped by the library. */
#define RWD_SB_PAGE 0x70000000ull
#define RWD_SB_UNTRACED_SYSCALL RWD_SB_PAGE
/* The filter allows syscalls whose (post-instruction) ip is this one. */
#define RWD_SB_UNTRACED_IP (RWD_SB_PAGE + 2)
/* Per-thread buffers: slot k at RWD_SB_BUFFERS + k * RWD_SB_BUFFER_SIZE. */
#define RWD_SB_BUFFERS (RWD_SB_PAGE + 0x100000ull)
#define RWD_SB_BUFFER_SIZE (256ull * 1024)
#define RWD_SB_MAX_SLOTS 4096
/* The end of the range the library's mappings use (page, stubs, buffers). */
#define RWD_SB_END (RWD_SB_BUFFERS + RWD_SB_MAX_SLOTS * RWD_SB_BUFFER_SIZE)

/* Pseudo-syscall numbers: no kernel implements them (ENOSYS natively). */
/* (buffer, size, hot code start, hot code end) -> 0 when rewind buffers.
 * The hot code is where record and replay take different paths. */
#define RWD_SB_REGISTER 0x7200
#define RWD_SB_DIVERGED 0x7201 /* replay: the call in seen_* did not match */
/* Made by the library's constructor once it has patched libc (or given up),
 * after a RWD_SB_REGISTER whose 5th argument is RWD_SB_REGISTER_PATCHING.
 * In between it reads libc's code to find the sites: the replayer keeps
 * the debugger's breakpoints out of that code meanwhile, or the library
 * would see them and patch other sites than it did when recording. */
#define RWD_SB_READY 0x7202
#define RWD_SB_REGISTER_PATCHING 1

#define RWD_SB_MAGIC 0x6675627363777200ull /* "\0rwcsbuf" */
#define RWD_SB_MODE_OFF 0
#define RWD_SB_MODE_RECORD 1
#define RWD_SB_MODE_REPLAY 2

#ifndef __ASSEMBLER__
struct rwd_sb_header {
  uint64_t magic;
  uint64_t mode;           /* tracer */
  uint64_t locked;         /* tracer: a vfork child shares this memory */
  uint64_t busy;           /* library: inside a buffered call */
  uint64_t used;           /* bytes of records after the header */
  uint64_t count;          /* records */
  uint64_t consumed;       /* replay: records taken so far */
  uint64_t consumed_bytes; /* replay: their bytes */
  /* Recording: the recorder's stdout and stderr (st_dev, st_ino); a write
   * to the same file keeps its bytes so replay can show them. */
  uint64_t stream_dev[2];
  uint64_t stream_ino[2];
  /* Replay: the call that did not match record `consumed`. */
  int64_t seen_nr;
  uint64_t seen_args[6];
  /* Replay: the call matched, but the bytes it writes to the recorder's
   * stdout or stderr differ from the recording's (whose copy replay shows):
   * 1 + the offset of the first that differs. 0: they are the same. */
  uint64_t seen_output_differs;
  /* Tracer, recording: a persistent snapshot is due. While it is not 0 the
   * library buffers nothing: the thread's next call goes to the tracer, an
   * event boundary where the snapshot can be taken, even in a program whose
   * calls are all buffered. Set while the thread runs, cleared at its next
   * stop; replay ignores it (a batch recorded before such a call ends
   * there, so replay sends that call to the tracer too). */
  uint64_t boundary_wanted;
  /* Tracer, replay: a debugger catches syscalls, so every call goes to the
   * tracer, which replays the batch's records at their syscall stops. */
  uint64_t expand;
  /* Tracer, recording: the process maps a file MAP_SHARED that it opened
   * for writing. Writes to regular files go to the tracer, which records
   * where in the file they land, for replay to show them in its copy of
   * the mapping. */
  uint64_t trace_file_writes;
  /* Tracer, recording: bumped after a traced syscall of any thread that may
   * close or replace an fd (close, dup2, dup3, close_range), in every
   * thread's header: what the library knows of its fds (RWD_SB_FD_CLASSES)
   * is stale from then on. The library's own buffered closes bump a
   * generation of its own. */
  uint64_t fd_generation;
  uint64_t reserved[8];
};
#endif /* __ASSEMBLER__ */

/* A buffer is the header, the records, and at its end the stack the
 * library's buffered path runs on: record and replay take different paths
 * there, and on the program's stack they would leave different bytes below
 * its stack pointer (which fingerprints hash, and programs may read). */
#define RWD_SB_HEADER_SIZE 256
#define RWD_SB_STACK_SIZE (16 * 1024)
#define RWD_SB_CAPACITY (RWD_SB_BUFFER_SIZE - RWD_SB_HEADER_SIZE - RWD_SB_STACK_SIZE)
/* The stack's low end (from the header, RWD_SB_FD_CLASSES_SIZE bytes) holds
 * the library's cache of what kind of file each small fd is, so that a
 * buffered read or write does not cost an fstat each (recording only;
 * syscallbuf.c). Like the stack, it holds nothing a snapshot keeps. */
#define RWD_SB_FD_CLASSES (RWD_SB_BUFFER_SIZE - RWD_SB_STACK_SIZE)
#define RWD_SB_FD_CLASSES_SIZE (4 * 1024)

#ifndef __ASSEMBLER__
/* One buffered syscall. `size` counts the record and its outputs, each an
 * rwd_sb_out followed by its bytes padded to 8. */
struct rwd_sb_record {
  uint32_t size;
  uint16_t nout;
  /* 1 or 2: a write to the recorder's stdout or stderr; its one output is
   * the bytes written (for replay to show), not memory to restore. */
  uint16_t stream;
  int64_t nr;
  uint64_t args[6];
  int64_t result;
};

struct rwd_sb_out {
  uint64_t addr;
  uint64_t len;
};
#endif /* __ASSEMBLER__ */

#endif /* REWIND_PRELOAD_SYSCALLBUF_ABI_H_ */
