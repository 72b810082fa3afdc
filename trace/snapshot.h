// Snapshot: the image of one recorded process at an event boundary, taken
// while recording (recorder/snapshot_taker.h) so that replay can start there
// instead of re-executing from the first instruction.
//
// A snapshot names its memory page by page. Pages are stored by content:
// each snapshot file holds only the pages whose content no earlier snapshot
// of the trace stored, and refers to earlier files for the rest, so the
// second snapshot of a process that changed 1% of its pages stores about 1%
// of them. Not stored at all: clean pages of private file mappings (they
// come from the trace's copy of the file) and pages never touched (zero).
// Pages touched but all zero are named, not stored.
//
// Registers and register sets are kept as the kernel's regset bytes
// (arch/registers.h), so this format needs no per-architecture code.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rwd::trace {

inline constexpr size_t kSnapshotPageBytes = 4096;

struct SnapshotRegset {
  uint32_t note_type = 0;
  std::vector<uint8_t> bytes;
  bool operator==(const SnapshotRegset&) const = default;
};

struct SnapshotThread {
  int32_t tid = 0;                      // recorded
  std::vector<uint8_t> regs;            // arch::Registers bytes (NT_PRSTATUS layout)
  std::vector<uint8_t> fp;              // the Arch's FP regset
  std::vector<SnapshotRegset> regsets;  // Arch::ThreadRegsets(), in order
  uint64_t sigmask = 0;
  uint64_t clear_child_tid = 0;
  std::string name;  // as the program set it (PR_SET_NAME); may be empty
  // The alternate signal stack as sigaltstack last set it (the kernel's
  // stack_t); empty for none. Replay runs sigaltstack for real, so a
  // restored thread needs it for a handler with SA_ONSTACK.
  std::vector<uint8_t> altstack;
  // set_robust_list's head and length (0: none), walked by the kernel when
  // the thread dies holding a robust mutex.
  uint64_t robust_list = 0;
  uint64_t robust_list_len = 0;
  // It was inside a syscall whose SyscallEntryEvent is recorded (a parent
  // in waitpid while its child runs): `regs` are those of the syscall's
  // entry, put back onto the syscall instruction, which the thread executes
  // again when its SyscallEvent comes.
  bool parked = false;
  // Its syscall buffer (preload/syscallbuf_abi.h): the header's address, 0
  // for none. The buffer itself is memory of the snapshot like any other.
  uint64_t syscallbuf = 0;
  bool operator==(const SnapshotThread&) const = default;
};

struct SnapshotMapping {
  uint64_t start = 0;
  uint64_t end = 0;
  uint32_t prot = 0;  // PROT_*
  bool shared = false;
  uint64_t offset = 0;
  std::string path;     // as /proc/PID/maps names it; "" for anonymous
  std::string file_id;  // the trace's copy of the file (files/<id>); "" if none
  bool operator==(const SnapshotMapping&) const = default;
};

// Where a page's content is: page `index` of snapshot `snapshot`'s stored
// pages, or all zero.
struct PageRef {
  static constexpr uint32_t kZero = 0xffffffff;
  uint32_t snapshot = kZero;
  uint32_t index = 0;
  bool operator==(const PageRef&) const = default;
};

// Consecutive pages from `start`.
struct PageRun {
  uint64_t start = 0;
  std::vector<PageRef> refs;
  bool operator==(const PageRun&) const = default;
};

// A patch rewind made in the process's code (core/code_patcher.h).
struct SnapshotPatch {
  uint64_t addr = 0;
  std::vector<uint8_t> original;
  uint8_t trap_kind = 0;  // arch::TrapInsnKind; 0 for none
  uint8_t trap_length = 0;
  int8_t trap_dest_reg = -1;
  uint8_t trap_operand_bytes = 8;
  bool has_trap = false;
  bool operator==(const SnapshotPatch&) const = default;
};

// A signal's disposition as the program last set it: the bytes it passed to
// rt_sigaction (the kernel's struct sigaction).
struct SnapshotSigaction {
  int32_t signo = 0;
  std::vector<uint8_t> bytes;
  bool operator==(const SnapshotSigaction&) const = default;
};

// A range of memory [start, end) the program gave fork advice about.
struct SnapshotRange {
  uint64_t start = 0;
  uint64_t end = 0;
  bool operator==(const SnapshotRange&) const = default;
};

struct Snapshot {
  uint32_t seq = 0;         // 0, 1, ... in the order taken
  uint64_t event = 0;       // events recorded before it (replay's event_number())
  std::string name;         // "" for one taken at an interval
  int32_t pid = 0;          // recorded
  int32_t current_tid = 0;  // the thread that ran last
  std::string exec_path;
  // Events recorded up to and including the exec that made this image:
  // replay reaches that point to start from the same executable.
  uint64_t exec_event = 0;
  uint64_t brk = 0;  // the program break as brk() last returned it; 0: never asked
  std::vector<SnapshotThread> threads;  // the leader first
  std::vector<SnapshotMapping> maps;
  std::vector<PageRun> pages;
  std::vector<SnapshotPatch> patches;
  uint64_t vdso_syscall_insn = 0;
  bool patch_tsc_reads = false;
  std::vector<SnapshotSigaction> sigactions;
  // cpuid is patched too (--cpuid-mask baseline on a CPU without cpuid
  // faulting): libraries mapped later get their cpuid sites patched.
  bool patch_cpuid = false;
  // Stored in this snapshot's file (page count); the file holds their bytes.
  uint32_t stored_pages = 0;
  // The program's stop for this snapshot, and the fork within it.
  uint32_t stop_us = 0;
  uint32_t fork_us = 0;
  // Snapshots taken at one event, one per process then alive, form a set
  // that replay restores together: how many it has (1: this process ran
  // alone), and the recorded pid of this process's parent (0: none
  // recorded, the root).
  uint32_t processes = 1;
  int32_t parent_pid = 0;
  // Memory the program keeps from its forks (MADV_DONTFORK) or hands them
  // zeroed (MADV_WIPEONFORK), as core/fork_advice.h tracks it. The pages
  // themselves are in the snapshot with their contents (the recorder lends
  // them to its copy); replay emulates the advice from these ranges on.
  std::vector<SnapshotRange> dont_fork;
  std::vector<SnapshotRange> wipe_on_fork;
  bool operator==(const Snapshot&) const = default;
};

}  // namespace rwd::trace
