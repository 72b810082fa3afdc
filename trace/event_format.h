// Human-readable descriptions of events, for `rewind dump` and for
// divergence reports ("write(1, 0x4a2010, 13) = 13").
#pragma once

#include <string>

#include "arch/arch.h"
#include "trace/event.h"

namespace rwd::trace {

std::string DescribeSyscall(const arch::Arch& arch, int64_t nr,
                            const std::array<uint64_t, 6>& args);
std::string DescribeEvent(const arch::Arch& arch, const Event& event);
const char* TrapInsnName(arch::TrapInsnKind kind);

}  // namespace rwd::trace
