// The x86-64 syscall table rows (see arch/syscall_table.h for their meaning).
#pragma once

#include <span>

#include "arch/syscall_table.h"

namespace rwd::arch {
std::span<const SyscallInfo> X86_64SyscallRows();
}  // namespace rwd::arch
