// SyscallRecorder: a RecordSession's part that records syscalls. Every
// syscall stops twice; at the exit its result and the memory the kernel
// wrote go into a SyscallEvent of the thread. A syscall that blocks while
// another thread is ready gets a SyscallEntryEvent and its result later.
// Clone, exec (with copies of what it ran) and mmap (with copies of the
// files it mapped) are recorded here too (record_syscalls.cc).
#pragma once

#include <array>
#include <string>

#include "arch/arch.h"
#include "arch/syscall_table.h"
#include "recorder/record_part.h"

namespace rwd::recorder {

class SyscallRecorder : public RecordPart {
 public:
  explicit SyscallRecorder(RecordSession& session) : RecordPart(session) {}

  Status OnSyscallEntry(RecordTask& task, const SyscallStopInfo& info);
  // `regs`: the thread's registers at the exit stop, updated when the
  // recorder changes them.
  Status OnSyscallExit(RecordTask& task, arch::Registers& regs);
  Status OnCloneEvent(RecordTask& task);
  // Keeps a copy of the #! script an execve ran, if it was one; its id or "".
  Expected<std::string> StoreScript(const std::string& open_path, const std::string& path);
  Status RecordExec(RecordTask& task, const PendingSyscall& pending);
  Status RecordMmap(RecordTask& task, trace::SyscallEvent& event);
  // For a shared mapping of `file` (our fd of it): when the program opened
  // it for writing, says so in `event` and has its writes to it recorded.
  Status NoteWritableSharedFile(RecordTask& task, int file, trace::SyscallEvent& event);
  Status RecordSyscallEntry(RecordTask& task);
  // The running `task` waits in a futex for another thread: when one is
  // ready (now, or later: its stop may come only after the wait began, from
  // a wake the library buffered just before), it runs at once instead of
  // after the syscall patience.
  Status LetOthersRunDuringWait(RecordTask& task);
  // At an entry stop: puts the thread back onto its syscall instruction
  // without running the syscall, having taken our SIGSTOP if one is pending.
  Status BackOutOfEntry(RecordTask& task);
  Expected<trace::SyscallEvent> FinishSyscall(RecordTask& task, const PendingSyscall& pending,
                                              int64_t result);

  // How the recorder fails a syscall the program may make but that cannot
  // be recorded as it would run (0: it runs). Notes the reason once.
  // prctl's answers about rdtsc faulting and seccomp, as the program would
  // get them without the recorder.
  void HideRecorderModes(RecordTask& task, PendingSyscall& pending);
  int DenialOf(const arch::Arch& arch, const arch::SyscallInfo& row,
               const std::array<uint64_t, 6>& args);
};

}  // namespace rwd::recorder
