// SyscallBufferRecorder: a RecordSession's part that runs the in-process
// syscall buffer (preload/syscallbuf_abi.h). Threads run under PTRACE_CONT;
// the seccomp filter stops them at every syscall but the library's own, and
// what the library buffered becomes one SyscallBatchEvent before the
// thread's next event (record_syscallbuf.cc).
#pragma once

#include "arch/arch.h"
#include "recorder/record_part.h"

namespace rwd::recorder {

class SyscallBufferRecorder : public RecordPart {
 public:
  explicit SyscallBufferRecorder(RecordSession& session) : RecordPart(session) {}

  // How a thread runs its own code: PTRACE_CONT where the seccomp filter
  // stops it at syscalls, PTRACE_SYSCALL otherwise.
  ResumeMode RunMode(const RecordTask& task);
  // A PTRACE_EVENT_SECCOMP stop: the syscall's entry.
  Status OnSeccompStop(RecordTask& task);
  // The library's RWD_SB_REGISTER call: accepts the buffer when it is sound.
  Status RegisterSyscallBuffer(RecordTask& task, PendingSyscall& pending);
  // Writes the syscalls buffered since the thread's last event as one
  // SyscallBatchEvent and empties the buffer.
  Status FlushSyscallBuffer(RecordTask& task);
  // Whether the thread made buffered syscalls since its last event (they
  // are flushed at every event): then it has moved on from that event,
  // even where its registers came back to the same values.
  bool BufferedSinceLastEvent(const RecordTask& task) const;
  // A vfork child shares the thread's memory, buffer included, until it
  // execs or ends: its syscalls must stop.
  void LockSyscallBuffer(RecordTask& task, bool locked);
  // Single-steps a thread stopped inside the library's code out of it:
  // record and replay take different paths there.
  Status StepOutOfSyscallBuffer(RecordTask& task, arch::Registers& regs);
  void NoteUnbuffered(pid_t tgid);
  // A traced syscall (`row`) has run: when it may have closed or replaced
  // an fd, what the libraries know of their fds is stale
  // (rwd_sb_header::fd_generation). Every buffer hears it, not only the
  // process's: a process cloned with CLONE_FILES shares its fds.
  void NoteSyscallDone(const arch::SyscallInfo& row);
  // Process `tgid` maps a file it may write: from now on its threads send
  // writes to regular files to the tracer (recorder/mapped_file_writes.h).
  Status TraceFileWrites(pid_t tgid);

 private:
  uint64_t fd_generation_ = 0;
};

}  // namespace rwd::recorder
