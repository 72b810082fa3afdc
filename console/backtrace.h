// Backtrace: the call stack of a thread of the replayed process, unwound
// with libunwind's ptrace accessors (the thread is ptrace-stopped by the
// replay, which is what libunwind-ptrace needs) and named by Symbols.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "console/symbols.h"

namespace rwd::console {

struct Frame {
  uint64_t pc = 0;
  // The stack pointer in this frame (for frame 0 the thread's sp; for a
  // caller, its sp once the callee returns): with pc, names one activation.
  uint64_t sp = 0;
  CodeLocation where;
};

// Frames of live thread `live_tid`, innermost first, at most `max_frames`.
// A stack that cannot be unwound further ends the list; `*error` says why
// when not even frame 0 could be read.
std::vector<Frame> Unwind(pid_t live_tid, const Symbols& symbols, size_t max_frames,
                          std::string* error);

}  // namespace rwd::console
