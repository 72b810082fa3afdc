// ProcessTree: the processes a trace recorded (`rewind ps`), derived from its
// events, since the trace stores no process list of its own:
//  - the thread of event 0 is the first process;
//  - a SyscallEvent of a clone-family syscall (arch::Special::kClone: clone,
//    fork, vfork) with a result > 0 creates thread `result`: in the caller's
//    process for clone with CLONE_THREAD, otherwise as a new process whose
//    parent is the caller's process (the caller's parent with CLONE_PARENT).
//    clone3, whose flags are in memory the trace does not keep, is denied by
//    the recorder so that libc falls back to clone;
//  - an ExecEvent gives its process a new command;
//  - an ExitEvent with whole_process ends the process of its thread.
// A thread may have events before the SyscallEvent that returns its tid to
// its creator (the creator blocked in vfork: a SyscallEntryEvent first); they
// are held until then, or until the trace ends, when the creator's pending
// clone entry stands in for the missing result.
//
// Plain functions over a TraceReader; nothing is cached.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "trace/trace_reader.h"

namespace rwd::trace {

enum class ProcessEnd : uint8_t {
  kExited,   // an ExitEvent ended it; wait_status says how
  kRunning,  // the recording finished normally while it still ran
  kUnknown,  // the trace was cut short before it ended
};

struct ProcessInfo {
  int32_t pid = 0;   // as recorded: the tid of its first thread
  int32_t ppid = 0;  // 0 for the first process
  // argv of its last exec joined by spaces; before any exec, its parent's
  // command (the recorded command line for the first process).
  std::string command;
  ProcessEnd end = ProcessEnd::kUnknown;
  int wait_status = 0;  // waitpid status, with kExited
  // With kExited: the ExitEvent that ended it, and its thread (the one that
  // took the fatal signal when a signal killed it).
  uint64_t end_event = 0;
  int32_t end_tid = 0;
  // The SyscallEvent that created it (its SyscallEntryEvent when the trace
  // ends before the result); 0 for the first process.
  uint64_t first_event = 0;
  std::vector<uint64_t> exec_events;
  int threads = 1;  // threads it ever had, the first included
  bool operator==(const ProcessInfo&) const = default;
};

// The processes of the trace in order of creation. Reads every event from
// the start; leaves the reader's cursor at the end. Fails on an unreadable
// event, an unknown architecture, or a thread that no creation accounts for.
Expected<std::vector<ProcessInfo>> ReadProcessTree(TraceReader& reader);

// The `rewind ps` table: a "PID PPID EXIT CMD" header, then one line per
// process. EXIT is the exit code, the signal's name for a death by signal,
// or "-" when the trace does not say; PPID is "--" for the first process.
std::string FormatProcessTable(const std::vector<ProcessInfo>& processes);

}  // namespace rwd::trace
