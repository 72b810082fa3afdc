// CodePageGuard: keeps the replayer's breakpoints alive in code the program
// writes while it runs (a JIT: node, java, luajit). A breakpoint planted
// where a fingerprinted signal or preemption waits may sit on a page the
// program fills with new code before reaching that point; its write would
// erase the breakpoint, and the thread would run past the recorded point.
//
// So every writable page holding one of the replayer's planted instructions
// is made read-only with an injected mprotect. The program's write there
// faults (SIGSEGV, SEGV_ACCERR at a guarded page); the replayer takes the
// breakpoints off that page, gives it the program's protection back, lets
// the writing instruction run, plants the breakpoints again over the new
// bytes and guards the page again (replay_code_guard.cc).
//
// Owns, per guarded page, the protection the program gave it (read from
// /proc/PID/maps while unguarded: exactly the program's view). Anything
// the kernel does for the program on those pages (mapping syscalls run for
// real, a fork that copies them) runs unguarded.
#pragma once

#include <cstdint>
#include <map>
#include <set>

#include "base/status.h"
#include "core/stack_hash.h"
#include "core/tracee.h"

namespace rwd::replayer {

class CodePageGuard {
 public:
  CodePageGuard();

  // Guards exactly the writable pages among `pages` (page addresses),
  // unguarding the others, through `tracee` (see InjectMprotect's
  // `by_step`). Reads the memory map only for pages it does not know.
  Status Sync(Tracee& tracee, uint64_t syscall_insn, const std::set<uint64_t>& pages,
              bool by_step);
  // Gives the guarded pages in [start, end) the program's protection back,
  // and forgets what it knew of the map there: call before the program's
  // own mapping syscall on that range runs, then Sync again.
  Status ReleaseRange(Tracee& tracee, uint64_t syscall_insn, uint64_t start, uint64_t end,
                      bool by_step);
  // Gives the program's protection back in a copy of the address space (a
  // forked child, a checkpoint), which inherited ours; nothing is guarded
  // there.
  Status ReleaseIn(Tracee& copy, uint64_t syscall_insn, bool by_step) const;
  // Unguards one page (at a fault there), keeping it known.
  Status Release(Tracee& tracee, uint64_t syscall_insn, uint64_t page, bool by_step);

  // Whether the program may write `addr` (its mapping is writable).
  Expected<bool> Writable(const Tracee& tracee, uint64_t addr);
  // The memory map changed in [start, end): what was learned of it there
  // is stale. Only while nothing is guarded there.
  void Forget(uint64_t start, uint64_t end) {
    std::erase_if(known_, [&](const auto& page) {
      return page.first < end && start < page.first + page_size_;
    });
  }

  bool empty() const { return guarded_.empty(); }
  uint64_t page_of(uint64_t addr) const { return addr & ~(page_size_ - 1); }
  uint64_t page_size() const { return page_size_; }
  // Whether a SIGSEGV with this si_code at `fault_addr` is our guard's.
  bool IsOurFault(uint64_t fault_addr, int si_code) const;
  // The program's own protection of each guarded page.
  const ProgramProtections& guarded() const { return guarded_; }
  uint64_t faults() const { return faults_; }
  void CountFault() { ++faults_; }

 private:
  uint64_t page_size_;
  ProgramProtections guarded_;  // page -> the program's protection
  // The program's protection of pages looked up since the map last changed
  // (0 for unmapped ones).
  std::map<uint64_t, int> known_;
  uint64_t faults_ = 0;

  // Looks `pages` up in the memory map, if any is not known yet.
  Status Learn(const Tracee& tracee, const std::set<uint64_t>& pages);
};

}  // namespace rwd::replayer
