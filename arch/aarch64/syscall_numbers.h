// The AArch64 syscall table rows: the shared semantics numbered for this
// architecture (see arch/syscall_semantics.h).
// Plain data: it compiles and is unit-tested on any host.
#pragma once

#include <span>

#include "arch/syscall_table.h"

namespace rwd::arch {
std::span<const SyscallInfo> AArch64SyscallRows();
// Syscalls of AArch64 without a row (refused by the recorder, or retired by
// the kernel), by name.
std::span<const SyscallName> AArch64UnsupportedSyscallNames();
}  // namespace rwd::arch
