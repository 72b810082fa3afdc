#include "arch/syscall_table.h"

#include <string>

namespace rwd::arch {

const SyscallInfo& UnimplementedSyscall() {
  constexpr int kEnosys = 38;  // asm-generic/errno.h, on every architecture
  static constexpr SyscallInfo kRow{-1, "unimplemented", ReplayAction::kDeny, Special::kNone,
                                    {}, kEnosys};
  return kRow;
}

SyscallTable::SyscallTable(std::span<const SyscallInfo> rows,
                           std::span<const SyscallName> unsupported)
    : rows_(rows) {
  for (const SyscallName& n : unsupported) unsupported_names_.emplace(n.nr, n);
  for (const SyscallInfo& row : rows_) {
    by_nr_.emplace(row.nr, &row);
    by_name_.emplace(row.name, &row);
  }
}

const SyscallInfo* SyscallTable::Find(int64_t nr) const {
  auto it = by_nr_.find(nr);
  return it == by_nr_.end() ? nullptr : it->second;
}

const SyscallInfo* SyscallTable::Lookup(int64_t nr) const {
  if (const SyscallInfo* row = Find(nr)) return row;
  auto it = unsupported_names_.find(nr);
  if (it != unsupported_names_.end() && !it->second.retired) return nullptr;
  return &UnimplementedSyscall();
}

const SyscallInfo* SyscallTable::FindByName(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::string SyscallTable::NameOf(int64_t nr) const {
  if (const SyscallInfo* info = Find(nr)) return std::string(info->name);
  auto it = unsupported_names_.find(nr);
  if (it != unsupported_names_.end()) return std::string(it->second.name);
  return "syscall_" + std::to_string(nr);
}

}  // namespace rwd::arch
