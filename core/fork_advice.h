// ForkAdvice: memory a replayed process asked the kernel to keep from its
// forks (madvise MADV_DONTFORK; V8 does so for its code range) or to hand
// them zeroed (MADV_WIPEONFORK).
//
// Replay forks processes for its own checkpoints, and a copy without that
// memory faults where the program did not (node: "saw SIGSEGV" where the
// recording had V8's next mprotect). So replay does not give the kernel
// that advice; it keeps the ranges here and applies them itself to the
// program's own forks: the child loses the kept-back ranges and gets the
// wiped ones zeroed, as when recorded. Ranges unmapped or mapped anew are
// forgotten, as the kernel forgets their advice.
//
// The recorder keeps the same state for its snapshots, which are forks of
// the recorded process: around the fork it lends the memory to the copy
// (Lend, Withdraw), and the snapshot carries the ranges, from which replay
// goes on emulating the advice.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "arch/syscall_table.h"
#include "base/status.h"
#include "core/tracee.h"

namespace rwd {

class ForkAdvice {
 public:
  // Whether madvise's `advice` is about forks (emulated in replay).
  static bool IsForkAdvice(uint64_t advice);

  // madvise(start, len, advice) succeeded when recorded.
  void Advise(uint64_t start, uint64_t len, uint64_t advice);
  // [start, end) was unmapped or mapped anew.
  void Forget(uint64_t start, uint64_t end);
  // A syscall of the process with `args` returned `result`: Advise or
  // Forget as it changed the address space.
  void Track(arch::Special special, std::span<const uint64_t, 6> args, int64_t result);

  using Range = std::pair<uint64_t, uint64_t>;  // [start, end)
  std::vector<Range> DontForkRanges() const;
  std::vector<Range> WipeOnForkRanges() const;
  static ForkAdvice FromRanges(std::span<const Range> dont_fork,
                               std::span<const Range> wipe_on_fork);

  // What a fork's child keeps: the wiped ranges (their advice stays on the
  // child's memory); the kept-back ones are not in it.
  ForkAdvice InChild() const;
  // Makes a freshly forked `child` what the kernel would have made it:
  // unmaps the kept-back ranges, zeroes the wiped ones (injected syscalls
  // at `syscall_insn`).
  Status ApplyToChild(Tracee& child, uint64_t syscall_insn) const;

  // Before a fork of the stopped `process` meant to copy all of its memory
  // (the recorder's snapshot): takes the advice back (MADV_DOFORK,
  // MADV_KEEPONFORK), so the fork copies every range with its contents.
  // Withdraw gives the advice again after the fork, so that the program's
  // own forks are as they were. Injected syscalls at `syscall_insn`.
  Status Lend(Tracee& process, uint64_t syscall_insn) const;
  Status Withdraw(Tracee& process, uint64_t syscall_insn) const;

  bool empty() const { return dont_fork_.empty() && wipe_on_fork_.empty(); }

 private:
  using Ranges = std::map<uint64_t, uint64_t>;  // start -> end, disjoint
  static void Add(Ranges& ranges, uint64_t start, uint64_t end);
  static void Remove(Ranges& ranges, uint64_t start, uint64_t end);
  // madvise(range, advice) for each of `ranges`.
  static Status AdviseAll(Tracee& process, uint64_t syscall_insn, const Ranges& ranges,
                          uint64_t advice);

  Ranges dont_fork_;
  Ranges wipe_on_fork_;
};

}  // namespace rwd
