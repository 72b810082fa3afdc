// CrashReport: what `rewind ci` prints about a process that crashed while
// recorded: the process and its command line, the signal and the faulting
// address, the faulting instruction, a backtrace with function names and
// source lines, and the command that debugs it. Captured at the recorder's
// fatal-signal stop, while the thread still exists (see
// recorder/fatal_signal.h); no gdb involved.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cli/live_backtrace.h"
#include "recorder/fatal_signal.h"

namespace rwd::cli {

struct CrashReport {
  pid_t pid = 0;  // as recorded, the pid `rewind ps` shows
  pid_t tid = 0;
  std::string command;
  int signo = 0;
  int si_code = 0;
  uint64_t fault_addr = 0;  // meaningful when the CPU raised the signal (si_code > 0)
  uint64_t pc = 0;
  std::string instruction;  // disassembled, empty when unreadable
  std::vector<StackFrame> frames;
  std::string unwind_error;
};

CrashReport CaptureCrash(const recorder::FatalSignalStop& stop);

// The report as printed, lines indented under a "rewind: ..." headline.
// `debug_command` is how to debug it ("rewind replay --crash FILE").
std::string FormatCrashReport(const CrashReport& report, const std::string& debug_command);

}  // namespace rwd::cli
