#include "replayer/code_page_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vector>

#include "core/proc_maps.h"
#include "replayer/inject_mprotect.h"

namespace rwd::replayer {

namespace {

constexpr const char* kWhy = "a breakpoint in code the program writes";

}  // namespace

CodePageGuard::CodePageGuard() : page_size_(static_cast<uint64_t>(sysconf(_SC_PAGESIZE))) {}

Status CodePageGuard::Sync(Tracee& tracee, uint64_t syscall_insn, const std::set<uint64_t>& pages,
                           bool by_step) {
  for (auto it = guarded_.begin(); it != guarded_.end();) {
    if (pages.contains(it->first)) {
      ++it;
      continue;
    }
    RETURN_IF_ERROR(
        InjectMprotect(tracee, syscall_insn, it->first, page_size_, it->second, by_step, kWhy));
    it = guarded_.erase(it);
  }
  RETURN_IF_ERROR(Learn(tracee, pages));
  for (uint64_t page : pages) {
    if (guarded_.contains(page)) continue;
    int prot = known_[page];
    // Only code the program can write needs a guard; a shared mapping is
    // written through other mappings too, where no guard sees it.
    if (!(prot & PROT_WRITE)) continue;
    RETURN_IF_ERROR(
        InjectMprotect(tracee, syscall_insn, page, page_size_, prot & ~PROT_WRITE, by_step, kWhy));
    guarded_[page] = prot;
  }
  return Status::Ok();
}

Status CodePageGuard::Learn(const Tracee& tracee, const std::set<uint64_t>& pages) {
  bool unknown = false;
  for (uint64_t page : pages) unknown |= !guarded_.contains(page) && !known_.contains(page);
  if (!unknown) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(tracee.tid()));
  for (uint64_t page : pages) {
    if (guarded_.contains(page) || known_.contains(page)) continue;
    int prot = 0;
    for (const MemoryMapping& m : maps) {
      if (page >= m.start && page < m.end) prot = static_cast<int>(m.prot);
    }
    known_[page] = prot;
  }
  return Status::Ok();
}

Expected<bool> CodePageGuard::Writable(const Tracee& tracee, uint64_t addr) {
  const uint64_t page = page_of(addr);
  if (guarded_.contains(page)) return true;
  RETURN_IF_ERROR(Learn(tracee, {page}));
  return (known_[page] & PROT_WRITE) != 0;
}

Status CodePageGuard::ReleaseRange(Tracee& tracee, uint64_t syscall_insn, uint64_t start,
                                   uint64_t end, bool by_step) {
  for (auto it = guarded_.lower_bound(page_of(start)); it != guarded_.end() && it->first < end;) {
    RETURN_IF_ERROR(
        InjectMprotect(tracee, syscall_insn, it->first, page_size_, it->second, by_step, kWhy));
    it = guarded_.erase(it);
  }
  Forget(start, end);
  return Status::Ok();
}

Status CodePageGuard::ReleaseIn(Tracee& copy, uint64_t syscall_insn, bool by_step) const {
  for (const auto& [page, prot] : guarded_) {
    RETURN_IF_ERROR(InjectMprotect(copy, syscall_insn, page, page_size_, prot, by_step, kWhy));
  }
  return Status::Ok();
}

Status CodePageGuard::Release(Tracee& tracee, uint64_t syscall_insn, uint64_t page, bool by_step) {
  auto it = guarded_.find(page);
  if (it == guarded_.end()) return Status::Ok();
  RETURN_IF_ERROR(InjectMprotect(tracee, syscall_insn, page, page_size_, it->second, by_step, kWhy));
  guarded_.erase(it);
  return Status::Ok();
}

bool CodePageGuard::IsOurFault(uint64_t fault_addr, int si_code) const {
  return si_code == SEGV_ACCERR && guarded_.contains(page_of(fault_addr));
}

}  // namespace rwd::replayer
