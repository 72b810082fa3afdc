// Where a signal frame holds the kernel's record of the thread's last trap.
//
// The kernel copies into every handler's frame the number, error code and
// faulting address of the last trap that raised a signal in the thread
// (x86-64: sigcontext trapno, err, cr2). In a traced thread that trap is
// the tracer's own (a breakpoint or a single-step of the replayer, a walk of
// the recorder), so record and replay write different frames, and every
// stack hash taken while the frame lives differs with them.
#pragma once

#include <cstdint>
#include <vector>

#include "arch/arch.h"

namespace rwd::arch {

// The addresses of the 8-byte words holding that record in the frame of a
// handler stopped at its first instruction with registers `regs`. Empty
// where rewind does not clear them (AArch64: its frame gains an ESR record
// after a debug trap, which shifts what follows; clearing words cannot undo
// that).
std::vector<uint64_t> SignalFrameTrapWords(const Arch& arch, const Registers& regs);

}  // namespace rwd::arch
