// SyscallBufferReplayer: a ReplaySession's part that replays the in-process
// syscall buffer (preload/syscallbuf_abi.h). Each SyscallBatchEvent is
// handed to its thread's buffer, from which the preload library returns the
// recorded results without syscalls; at the thread's next syscall the batch
// must have been used up, else the program took another path than recorded.
// Its collaborators besides what every part asks the session for
// (ReplayPart): the SyscallReplayer, which echoes the batches' output, and
// the thread table, whose threads' buffers it writes.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "replayer/replay_part.h"
#include "replayer/syscall_replayer.h"
#include "replayer/thread_table.h"

namespace rwd::replayer {

class SyscallBufferReplayer : public ReplayPart {
 public:
  // `syscalls` echoes the batches' output; `threads` are the buffers' owners.
  SyscallBufferReplayer(ReplaySession& session, SyscallReplayer& syscalls,
                        const ThreadTable& threads)
      : ReplayPart(session), syscalls_(syscalls), threads_(threads) {}

  // The recording accepted the library's buffer at `addr`: it replays.
  Status RegisterSyscallBuffer(uint64_t addr);
  // `owner`'s buffer at `addr` (the current thread's at registration, or a
  // thread restored from a snapshot, whose buffer holds what recording
  // left there) replays from now on, empty.
  Status AdoptSyscallBuffer(ReplayTask& owner, uint64_t addr);
  // Hands `batch` (the next event, `owner`'s) to the thread's buffer.
  Status LoadSyscallBatch(ReplayTask& owner, const trace::SyscallBatchEvent& batch);
  // At a syscall of the current thread (`seen`): the batch before it must
  // have been used up, else the program took another path than recorded.
  Status CheckSyscallBatchDone(const std::function<std::string()>& seen);
  // The library found a buffered call that does not match its record.
  Status SyscallBufferDiverged();
  // `on` while a debugger catches syscalls: the library leaves every call
  // to the replayer (rwd_sb_header::expand). Written into every buffer.
  void SetExpand(bool on);
  bool expanding() const { return expand_; }
  // At a syscall stop of the current thread, while calls are left to the
  // replayer: the call (`nr`, `args`, registers `regs`) is the next record
  // of its batch, replayed here. False when no record waits.
  Expected<bool> ReplayExpandedBufferedSyscall(int64_t nr, const std::array<uint64_t, 6>& args,
                                               arch::Registers regs);
  // How many of its buffered syscalls the current thread has made since the
  // batch it runs through was loaded (0 without one).
  uint64_t BufferedSyscallsDone() const;
  // Whether the current thread has made every buffered syscall of the
  // batch it runs through (true without one): the recorder flushes the
  // buffer at every event, so the thread's next event comes after them all.
  Expected<bool> BatchUsedUp() const;

 private:
  Status WriteExpand(ReplayTask& t) const;

  SyscallReplayer& syscalls_;
  const ThreadTable& threads_;
  bool expand_ = false;
};

}  // namespace rwd::replayer
