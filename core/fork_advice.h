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
#pragma once

#include <cstdint>
#include <map>

#include "base/status.h"
#include "core/tracee.h"

namespace rwd {

class ForkAdvice {
 public:
  // Whether madvise's `advice` is about forks (emulated in replay).
  static bool IsForkAdvice(uint64_t advice);
  // Whether it keeps memory from forks or wipes it there: a fork of the
  // process (a snapshot) lacks what the process has.
  static bool KeepsMemoryFromForks(uint64_t advice);

  // madvise(start, len, advice) succeeded when recorded.
  void Advise(uint64_t start, uint64_t len, uint64_t advice);
  // [start, end) was unmapped or mapped anew.
  void Forget(uint64_t start, uint64_t end);

  // What a fork's child keeps: the wiped ranges (their advice stays on the
  // child's memory); the kept-back ones are not in it.
  ForkAdvice InChild() const;
  // Makes a freshly forked `child` what the kernel would have made it:
  // unmaps the kept-back ranges, zeroes the wiped ones (injected syscalls
  // at `syscall_insn`).
  Status ApplyToChild(Tracee& child, uint64_t syscall_insn) const;

  bool empty() const { return dont_fork_.empty() && wipe_on_fork_.empty(); }

 private:
  using Ranges = std::map<uint64_t, uint64_t>;  // start -> end, disjoint
  static void Add(Ranges& ranges, uint64_t start, uint64_t end);
  static void Remove(Ranges& ranges, uint64_t start, uint64_t end);

  Ranges dont_fork_;
  Ranges wipe_on_fork_;
};

}  // namespace rwd
