// The x86-64 syscall table rows: the shared semantics numbered for this
// architecture (see arch/syscall_semantics.h).
#pragma once

#include <span>

#include "arch/syscall_table.h"

namespace rwd::arch {
std::span<const SyscallInfo> X86_64SyscallRows();
// Syscalls of x86-64 without a row (refused by the recorder, or retired by
// the kernel), by name.
std::span<const SyscallName> X86_64UnsupportedSyscallNames();
}  // namespace rwd::arch
