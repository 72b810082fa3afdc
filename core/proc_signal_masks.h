// The signal sets /proc/TID/status shows for a thread: what the kernel holds
// pending for it, what it blocks, ignores and catches.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string_view>

namespace rwd {

// The set named `field` ("SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt"):
// bit N-1 for signal N. 0 when the thread is gone.
uint64_t ProcSignalMask(pid_t tid, std::string_view field);

inline bool HasSignal(uint64_t mask, int signo) { return (mask >> (signo - 1)) & 1; }

}  // namespace rwd
