#include "replayer/page_watch.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/proc_maps.h"
#include "replayer/inject_mprotect.h"

namespace rwd::replayer {

namespace {

bool WatchesWrites(const arch::HwWatch& w) {
  return w.kind == arch::HwKind::kWrite || w.kind == arch::HwKind::kAccess;
}

bool WatchesReads(const arch::HwWatch& w) {
  return w.kind == arch::HwKind::kRead || w.kind == arch::HwKind::kAccess;
}

}  // namespace

PageWatch::PageWatch() : page_size_(static_cast<uint64_t>(sysconf(_SC_PAGESIZE))) {}

void PageWatch::SetWatches(const std::vector<arch::HwWatch>& watches) {
  watches_ = watches;
  pages_.clear();
  for (const arch::HwWatch& w : watches_) {
    if (w.len == 0) continue;
    uint64_t first = w.addr & ~(page_size_ - 1);
    uint64_t last = (w.addr + w.len - 1) & ~(page_size_ - 1);
    for (uint64_t page = first; page <= last; page += page_size_) pages_[page];
  }
  prots_known_ = false;
}

Status PageWatch::LearnProtections(const Tracee& tracee) {
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(tracee.tid()));
  for (auto& [page, state] : pages_) {
    state = Page();
    for (const MemoryMapping& m : maps) {
      if (page >= m.start && page < m.end) {
        state.mapped = true;
        state.program_prot = static_cast<int>(m.prot);
        break;
      }
    }
    state.armed_prot = state.program_prot;
  }
  prots_known_ = true;
  return Status::Ok();
}

Status PageWatch::Protect(Tracee& tracee, uint64_t syscall_insn, uint64_t page, int prot,
                          bool by_step) {
  return InjectMprotect(tracee, syscall_insn, page, page_size_, prot, by_step, "a watchpoint");
}

Status PageWatch::Arm(Tracee& tracee, uint64_t syscall_insn, bool at_signal_stop) {
  if (armed_ || pages_.empty()) {
    armed_ = !pages_.empty();
    return Status::Ok();
  }
  if (!prots_known_) RETURN_IF_ERROR(LearnProtections(tracee));
  for (auto& [page, state] : pages_) {
    if (!state.mapped) continue;
    int want = state.program_prot;
    for (const arch::HwWatch& w : watches_) {
      if (w.len == 0 || w.addr >= page + page_size_ || w.addr + w.len <= page) continue;
      if (WatchesReads(w)) {
        want = PROT_NONE;
      } else if (WatchesWrites(w)) {
        want &= ~PROT_WRITE;
      }
    }
    if (want != state.armed_prot) {
      RETURN_IF_ERROR(Protect(tracee, syscall_insn, page, want, at_signal_stop));
      state.armed_prot = want;
    }
  }
  armed_ = true;
  return Status::Ok();
}

Status PageWatch::Disarm(Tracee& tracee, uint64_t syscall_insn, bool at_signal_stop) {
  if (!armed_) return Status::Ok();
  for (auto& [page, state] : pages_) {
    if (!state.mapped || state.armed_prot == state.program_prot) continue;
    RETURN_IF_ERROR(Protect(tracee, syscall_insn, page, state.program_prot, at_signal_stop));
    state.armed_prot = state.program_prot;
  }
  armed_ = false;
  return Status::Ok();
}

ProgramProtections PageWatch::ChangedPages() const {
  ProgramProtections changed;
  for (const auto& [page, state] : pages_) {
    if (state.mapped && state.armed_prot != state.program_prot) changed[page] = state.program_prot;
  }
  return changed;
}

bool PageWatch::IsOurFault(uint64_t fault_addr, int si_code) const {
  if (!armed_ || si_code != SEGV_ACCERR) return false;
  auto it = pages_.find(fault_addr & ~(page_size_ - 1));
  return it != pages_.end() && it->second.mapped &&
         it->second.armed_prot != it->second.program_prot;
}

std::vector<std::optional<std::vector<uint8_t>>> PageWatch::Snapshot(const Tracee& tracee) const {
  std::vector<std::optional<std::vector<uint8_t>>> out(watches_.size());
  for (size_t i = 0; i < watches_.size(); ++i) {
    if (!WatchesWrites(watches_[i])) continue;
    auto bytes = tracee.ReadBytes(watches_[i].addr, watches_[i].len);
    if (bytes.ok()) out[i] = std::move(*bytes);
  }
  return out;
}

std::optional<int> PageWatch::FirstChanged(
    const Tracee& tracee, const std::vector<std::optional<std::vector<uint8_t>>>& before) const {
  for (size_t i = 0; i < watches_.size() && i < before.size(); ++i) {
    if (!WatchesWrites(watches_[i])) continue;
    auto now = tracee.ReadBytes(watches_[i].addr, watches_[i].len);
    // Mapped or unmapped since counts as a change, as gdb would see it.
    bool changed = now.ok() != before[i].has_value() || (now.ok() && *now != *before[i]);
    if (changed) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<int> PageWatch::FirstAccessedAt(uint64_t fault_addr) const {
  for (size_t i = 0; i < watches_.size(); ++i) {
    const arch::HwWatch& w = watches_[i];
    if (WatchesReads(w) && fault_addr >= w.addr && fault_addr < w.addr + w.len) {
      return static_cast<int>(i);
    }
  }
  return std::nullopt;
}

}  // namespace rwd::replayer
