// Decodes the values of gdb's G and P packets into the registers' sources
// (the general register set and the extended state; the inverse of
// register_encoder.h) and writes to the target only what changes, so a
// write of the values the registers have touches nothing. Registers that
// have no source (read as zero), a value gdb does not have ("xx"), and the
// kernel's note of an interrupted syscall (GdbRegister::syscall_restart,
// which gdb writes whenever it sets the pc) are left as they are.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"
#include "gdbserver/debug_target.h"

namespace rwd::gdbserver {

// G: all registers of `tid`, in the order and sizes of GdbRegisters().
Status WriteAllRegisters(DebugTarget& target, int tid, std::string_view hex);

// P: register `number` (gdb's numbering).
Status WriteRegister(DebugTarget& target, int tid, uint64_t number, std::string_view hex);

}  // namespace rwd::gdbserver
