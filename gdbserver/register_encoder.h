// Encodes registers for the g and p replies, in the order and sizes of the
// architecture's gdb register table (Arch::GdbRegisters, which matches its
// target description). Each register comes from its source: the general
// register set (NT_PRSTATUS layout, little-endian as both supported
// architectures are), the extended state, or zeros. A register whose source
// cannot be read is sent as "xx.." which gdb shows as <unavailable>.
#pragma once

#include <string>

#include "base/status.h"
#include "gdbserver/debug_target.h"

namespace rwd::gdbserver {

// All registers of `tid`, hex-encoded; fails only when the general
// registers themselves cannot be read.
Expected<std::string> EncodeAllRegisters(DebugTarget& target, int tid);

// Register `number` (gdb's numbering = index into GdbRegisters()); fails
// with kInvalidInput for a number past the table.
Expected<std::string> EncodeRegister(DebugTarget& target, int tid, uint64_t number);

}  // namespace rwd::gdbserver
