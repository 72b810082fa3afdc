// PageWatch: watchpoints without debug registers, by page protection.
//
// Used where hardware watchpoints do not trigger (some VMs accept debug
// register writes and never trap) or cannot hold the request (more than
// the hardware has, unaligned or long ranges). While armed, every page
// holding a watched range is made read-only (write watches) or
// inaccessible (read and access watches) with an mprotect injected into
// the tracee; an access there faults (SIGSEGV, SEGV_ACCERR), and the
// replayer, which controls all execution, decides whether the access hit a
// watched range (see replay_watch.cc).
//
// Owns the watched ranges and, per page, the protection the program gave
// it (read from /proc/PID/maps while disarmed, so it is exactly the
// program's view) and the one in force. Disarm() puts the program's
// protections back; anything that runs in the kernel for the program
// (executed syscalls, signal delivery, forks for checkpoints) runs
// disarmed, so the kernel never trips over our protections and the
// program's own mprotect/mmap/munmap act on its own view. After those,
// ForgetProtections() makes the next Arm() read the maps again.
//
// Single address space, single-threaded (the replayer's thread).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "arch/arch.h"
#include "base/status.h"
#include "core/stack_hash.h"
#include "core/tracee.h"

namespace rwd::replayer {

class PageWatch {
 public:
  PageWatch();

  // Replaces the watched ranges. Call while disarmed.
  void SetWatches(const std::vector<arch::HwWatch>& watches);
  const std::vector<arch::HwWatch>& watches() const { return watches_; }
  bool empty() const { return watches_.empty(); }
  bool armed() const { return armed_; }

  // Protects the watched pages in `tracee`'s address space, injecting
  // mprotect through the syscall instruction at `syscall_insn`.
  // `at_signal_stop`: the thread sits at a signal stop (a fault or a
  // single-step), where one single-step over the syscall instruction runs
  // it: one stop instead of the two of a syscall entry and exit, on the
  // path every fault on a watched page takes twice.
  Status Arm(Tracee& tracee, uint64_t syscall_insn, bool at_signal_stop = false);
  // Gives every page the program's protection back.
  Status Disarm(Tracee& tracee, uint64_t syscall_insn, bool at_signal_stop = false);
  // The program's mappings may have changed (it ran mmap, mprotect, ...).
  void ForgetProtections() { prots_known_ = false; }
  // The address space is gone (exec, exit): nothing is protected any more.
  void Drop() {
    armed_ = false;
    prots_known_ = false;
  }

  // The program's own protection of each page protected otherwise now.
  ProgramProtections ChangedPages() const;
  // Whether a SIGSEGV with this si_code at `fault_addr` is our protection's:
  // an access-error fault on a page we protected beyond the program's own
  // protection. A fault the program's protection explains is still
  // possible there; the caller finds out by retrying the access disarmed.
  bool IsOurFault(uint64_t fault_addr, int si_code) const;

  // The watched bytes of the write and access watches (a read watch never
  // reports a write), to compare after something wrote memory.
  std::vector<std::optional<std::vector<uint8_t>>> Snapshot(const Tracee& tracee) const;
  // Index of the first write or access watch whose bytes differ from
  // `before` (a Snapshot), if any.
  std::optional<int> FirstChanged(
      const Tracee& tracee, const std::vector<std::optional<std::vector<uint8_t>>>& before) const;
  // Index of the first read or access watch that the access at
  // `fault_addr` touched: a faulting address is the first byte of the
  // access in the protected page.
  std::optional<int> FirstAccessedAt(uint64_t fault_addr) const;

  uint64_t page_size() const { return page_size_; }
  uint64_t faults() const { return faults_; }
  void CountFault() { ++faults_; }

 private:
  struct Page {
    int program_prot = 0;
    int armed_prot = 0;
    bool mapped = false;
  };
  Status Protect(Tracee& tracee, uint64_t syscall_insn, uint64_t page, int prot, bool by_step);
  Status LearnProtections(const Tracee& tracee);

  uint64_t page_size_;
  std::vector<arch::HwWatch> watches_;
  std::map<uint64_t, Page> pages_;
  bool armed_ = false;
  bool prots_known_ = false;
  uint64_t faults_ = 0;
};

}  // namespace rwd::replayer
