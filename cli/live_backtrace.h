// LiveBacktrace: the call stack of a thread we hold at a ptrace stop, with
// function names and source lines, through elfutils (libdw): its unwinder
// (CFI, frame pointers as a fallback) reads the thread's registers and
// memory, its DWARF readers name functions and lines from the ELF files the
// process has mapped. No gdb needed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace rwd::cli {

struct StackFrame {
  uint64_t pc = 0;
  std::string function;  // demangled; empty when no symbol covers pc
  std::string file;      // source file; empty without line information
  int line = 0;
  std::string module;  // the ELF file's path, e.g. /usr/lib/x86_64-linux-gnu/libc.so.6
};

// Frames of thread `tid` of process `pid`, innermost first, at most
// `max_frames`. The thread must be ptrace-stopped by the caller and stays
// so. A stack that cannot be unwound gives what was found (possibly none)
// and `*error` says why.
std::vector<StackFrame> LiveBacktrace(pid_t pid, pid_t tid, size_t max_frames, std::string* error);

}  // namespace rwd::cli
