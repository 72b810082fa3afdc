#include "replayer/breakpoint_table.h"

#include <algorithm>

namespace rwd::replayer {

const std::vector<uint8_t>* BreakpointTable::OriginalAt(uint64_t addr) const {
  auto it = planted_.find(addr);
  return it == planted_.end() ? nullptr : &it->second;
}

bool BreakpointTable::AnyIn(uint64_t addr, uint64_t len) const {
  auto it = planted_.lower_bound(addr);
  return it != planted_.end() && it->first < addr + len;
}

Status BreakpointTable::Plant(Tracee& t, uint64_t addr) {
  if (planted_.contains(addr)) return Status::Ok();
  std::span<const uint8_t> bp = t.arch().BreakpointInsn();
  ASSIGN_OR_RETURN(std::vector<uint8_t> original, t.ReadBytes(addr, bp.size()));
  RETURN_IF_ERROR(t.WriteMemory(addr, bp));
  planted_[addr] = std::move(original);
  return Status::Ok();
}

Status BreakpointTable::PlantMoved(Tracee& t, uint64_t addr, std::vector<uint8_t> original,
                                   uint64_t at) {
  if (planted_.contains(addr)) return Status::Ok();
  std::span<const uint8_t> bp = t.arch().BreakpointInsn();
  ASSIGN_OR_RETURN(std::vector<uint8_t> covered, t.ReadBytes(at, bp.size()));
  RETURN_IF_ERROR(t.WriteMemory(at, bp));
  planted_[addr] = std::move(original);
  moved_[addr] = Moved{at, std::move(covered)};
  return Status::Ok();
}

std::optional<uint64_t> BreakpointTable::MovedFrom(uint64_t at) const {
  for (const auto& [addr, moved] : moved_) {
    if (moved.at == at) return addr;
  }
  return std::nullopt;
}

std::vector<uint64_t> BreakpointTable::In(uint64_t addr, uint64_t len) const {
  std::vector<uint64_t> found;
  for (auto it = planted_.lower_bound(addr); it != planted_.end() && it->first < addr + len; ++it) {
    found.push_back(it->first);
  }
  return found;
}

Status BreakpointTable::Unplant(Tracee* t, uint64_t addr) {
  auto it = planted_.find(addr);
  if (it == planted_.end()) return Status::Ok();
  Status s = Status::Ok();
  if (auto moved = moved_.find(addr); moved != moved_.end()) {
    if (t) s = t->WriteMemory(moved->second.at, moved->second.covered);
    moved_.erase(moved);
  } else if (t) {
    s = t->WriteMemory(addr, it->second);
  }
  planted_.erase(it);
  return s;
}

Status BreakpointTable::Refresh(Tracee& t, const std::function<void(uint64_t)>& on_lost) {
  std::span<const uint8_t> bp = t.arch().BreakpointInsn();
  for (auto it = planted_.begin(); it != planted_.end();) {
    // A moved one's bytes at its address are a probe's.
    if (moved_.contains(it->first)) {
      ++it;
      continue;
    }
    auto now = t.ReadBytes(it->first, bp.size());
    if (!now.ok()) {
      on_lost(it->first);
      it = planted_.erase(it);
      continue;
    }
    if (!std::equal(now->begin(), now->end(), bp.begin())) {
      it->second = *now;
      RETURN_IF_ERROR(t.WriteMemory(it->first, bp));
    }
    ++it;
  }
  return Status::Ok();
}

void BreakpointTable::Hide(uint64_t addr, std::span<uint8_t> bytes) const {
  for (const auto& [bp, original] : planted_) {
    for (size_t i = 0; i < original.size(); ++i) {
      if (bp + i >= addr && bp + i < addr + bytes.size()) bytes[bp + i - addr] = original[i];
    }
  }
  for (const auto& [bp, moved] : moved_) {
    for (size_t i = 0; i < moved.covered.size(); ++i) {
      const uint64_t a = moved.at + i;
      if (a >= addr && a < addr + bytes.size()) bytes[a - addr] = moved.covered[i];
    }
  }
}

}  // namespace rwd::replayer
