// Which tracee memory a finished syscall wrote, from the declarative syscall
// table (arch/syscall_table.h) plus the few layouts that need code (iovecs,
// msghdr, ioctl request encodings). Evaluated at the syscall-exit stop.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "arch/syscall_table.h"
#include "base/status.h"
#include "core/tracee.h"

namespace rwd::recorder {

struct MemRange {
  uint64_t addr = 0;
  uint64_t len = 0;
};

// Values some rules need from the syscall-entry stop (the kernel may
// overwrite them before exit, e.g. value-result socklen_t).
struct EntrySnapshot {
  std::array<uint32_t, 6> deref_u32{};  // *(u32*)args[i] at entry, 0 if null
};

EntrySnapshot SnapshotAtEntry(const Tracee& tracee, const arch::SyscallInfo& info,
                              const std::array<uint64_t, 6>& args);

Expected<std::vector<MemRange>> OutputRanges(const Tracee& tracee, const arch::SyscallInfo& info,
                                             const std::array<uint64_t, 6>& args, int64_t result,
                                             const EntrySnapshot& entry);

}  // namespace rwd::recorder
