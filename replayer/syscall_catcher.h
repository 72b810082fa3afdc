// SyscallCatcher: a ReplaySession's part that stops at the entry and return
// of the syscalls a debugger catches (replayer/syscall_catch.h) in the focus
// process, and finishes syscalls parked at their entry by a
// SyscallEntryEvent. It replays a syscall through the watchpoints part
// (ReplayWatchpoints::OnSyscallStop), its one collaborator besides what
// every part asks the session for (ReplayPart).
#pragma once

#include <cstdint>
#include <optional>

#include "replayer/replay_part.h"
#include "replayer/replay_watchpoints.h"
#include "replayer/syscall_catch.h"

namespace rwd::replayer {

class SyscallCatcher : public ReplayPart {
 public:
  SyscallCatcher(ReplaySession& session, ReplayWatchpoints& watch)
      : ReplayPart(session), watch_(watch) {}

  void set_catch(const SyscallCatch& which) { syscall_catch_ = which; }
  // At a syscall stop of the current thread (or resuming one it was
  // stopped at for a caught entry): stops at a caught syscall's entry,
  // else replays it (OnSyscallStop) and stops at its return when caught.
  Expected<std::optional<ReplayStop>> OnCaughtSyscallStop(bool step);
  // A parked syscall's SyscallEvent (ReplayTask::at_syscall_entry) came:
  // finishes it and stops at its return when caught.
  Expected<std::optional<ReplayStop>> FinishParkedSyscall(bool step);
  // Which syscall the current thread's stop is, when it is one to catch.
  Expected<std::optional<int64_t>> CaughtSyscall(bool step) const;
  // `replayed`: what replaying thread `tid`'s caught syscall `nr` stopped
  // for; the return stop unless something else must be reported (marked
  // ReplayTask::buffered_return for a buffered call's).
  std::optional<ReplayStop> CaughtReturn(pid_t tid, int64_t nr,
                                         std::optional<ReplayStop> replayed) const;

 private:
  ReplayWatchpoints& watch_;
  SyscallCatch syscall_catch_;
};

}  // namespace rwd::replayer
