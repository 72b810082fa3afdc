// SyscallCatcher: stops at caught syscalls (gdb's `catch syscall`).
//
// The entry stop is the syscall-entry stop of the replay's own PTRACE_SYSEMU
// before anything of the syscall is replayed: the thread stays there and
// the next resume replays the syscall instead of running the thread. The
// return stop is the boundary after the syscall's event, as a debugger that
// goes back there finds it again.
#include <utility>

#include "preload/syscallbuf_abi.h"
#include "replayer/replay_session.h"

namespace rwd::replayer {

using Stop = std::optional<ReplayStop>;

Expected<std::optional<int64_t>> SyscallCatcher::CaughtSyscall(bool step) const {
  using Result = std::optional<int64_t>;
  if (step || syscall_catch_.empty() || !has_cur() || !InFocus(cur())) return Result();
  ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
  int64_t nr = arch().SyscallNumber(regs);
  // The syscall buffer's calls to the replayer are rewind's, not the program's.
  if (nr == RWD_SB_REGISTER || nr == RWD_SB_DIVERGED) return Result();
  return syscall_catch_.Catches(nr) ? Result(nr) : Result();
}

Expected<Stop> SyscallCatcher::OnCaughtSyscallStop(bool step) {
  bool resumed = std::exchange(cur().caught_entry, false);
  ASSIGN_OR_RETURN(std::optional<int64_t> nr, CaughtSyscall(step));
  if (nr && !resumed) {
    cur().caught_entry = true;
    ReplayStop stop = MakeStop(ReplayStop::Kind::kSyscallEntry);
    stop.syscall_nr = *nr;
    return Stop(stop);
  }
  pid_t tid = cur().tid;
  ASSIGN_OR_RETURN(Stop replayed, watch_.OnSyscallStop(step));
  return nr ? CaughtReturn(tid, *nr, std::move(replayed)) : replayed;
}

Expected<Stop> SyscallCatcher::FinishParkedSyscall(bool step) {
  cur().at_syscall_entry = false;
  ASSIGN_OR_RETURN(std::optional<int64_t> nr, CaughtSyscall(step));
  pid_t tid = cur().tid;
  ASSIGN_OR_RETURN(Stop replayed, watch_.OnSyscallStop(step));
  return nr ? CaughtReturn(tid, *nr, std::move(replayed)) : replayed;
}

Stop SyscallCatcher::CaughtReturn(pid_t tid, int64_t nr, Stop replayed) const {
  // A watchpoint the syscall wrote, the end, a signal: that stop says more.
  if (replayed && replayed->kind != ReplayStop::Kind::kEventBoundary) return replayed;
  // No return to show: the thread exited or execed away, or it parks in a
  // blocking syscall that another event finishes later.
  ReplayTask* t = FindTask(tid);
  if (!t || !has_cur() || t != &cur() || t->reaped || t->at_syscall_entry || focus_exited() ||
      !InFocus(*t)) {
    return replayed;
  }
  ReplayStop stop = MakeStop(ReplayStop::Kind::kSyscallReturn);
  stop.syscall_nr = nr;
  t->buffered_return = t->expanded_call;
  return stop;
}

}  // namespace rwd::replayer
