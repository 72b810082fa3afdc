// SyscallReplayer: a ReplaySession's part that replays the syscall event a
// thread stopped at. The event is checked against the stop (number and
// arguments), then emulated (recorded memory and result written; nothing
// runs in the kernel) or, for address-space, signal-state, process-tree,
// exec and exit syscalls, executed for real and its result checked
// (replay_syscalls.cc). Waits with a temporary signal mask ended by a
// signal are run for real with that signal queued (replay_masked_wait.cc).
// Clone, exec and exits go to ProcessLifecycle; the program's output is
// echoed here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "arch/syscall_table.h"
#include "core/wait_status.h"
#include "replayer/replay_part.h"

namespace rwd::replayer {

class SyscallReplayer : public ReplayPart {
 public:
  explicit SyscallReplayer(ReplaySession& session) : ReplayPart(session) {}

  // Replays the syscall event the thread stopped at (OnSyscallStop wraps it
  // for watchpoints).
  Expected<std::optional<ReplayStop>> ReplaySyscall(bool step);
  // Whether replay executes this syscall instead of emulating it (clone has
  // its own path).
  static bool RunsForReal(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  // Keeps the current process's ForkAdvice up to date with a successful
  // syscall of the recording.
  void TrackForkAdvice(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  // `regs`: the thread's registers at the syscall stop.
  Status EmulateSyscall(const arch::SyscallInfo& row, const trace::SyscallEvent& ev,
                        arch::Registers regs);
  // The next event is a SIGSYS the program's seccomp filter raised at the
  // current thread's syscall instead of running it.
  Expected<bool> NextIsSeccompTrap();
  // After an emulated syscall that recorded a restart errno: puts the thread
  // back onto its syscall instruction unless a signal came for it.
  Status RestartIfNoSignalCame(const arch::SyscallInfo& row, const trace::SyscallEvent& ev,
                               arch::Registers entry_regs);
  Status ExecuteSyscall(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  // rt_sigsuspend, pselect6, ppoll, epoll_pwait(2): waits with a temporary
  // signal mask (replay_masked_wait.cc).
  static bool IsMaskedWait(const arch::SyscallInfo& row);
  // Such a wait ended by the signal that follows it: delivered under the
  // wait's mask by running a wait for real with the signal queued.
  Status ReplayMaskedWait(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  // Re-runs the syscall the thread is stopped at, for real. `args` replaces
  // the arguments when given. Returns the result, or the exit when the
  // thread ended. `new_thread` receives the live tid a clone created.
  // `signo_at_entry` is queued at the syscall's entry, so that it is pending
  // while the syscall runs. Signals from the replay's own kernel objects (a
  // replayed child's exit) are dropped on the way, as everywhere in replay.
  Expected<int64_t> ExecuteInPlace(const std::optional<std::array<uint64_t, 6>>& args,
                                   std::optional<WaitStatus>* exited,
                                   std::optional<int64_t> nr = std::nullopt,
                                   pid_t* new_thread = nullptr, int signo_at_entry = 0);
  void EchoOutput(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  // Writes what the program wrote to the recorder's stdout (1) or stderr (2).
  void EchoBytes(int stream, std::span<const uint8_t> bytes);
  // Echoes the output of a syscall buffer's batch (SyscallBufferReplayer),
  // as EchoOutput does a syscall event's, when the replay echoes.
  void EchoBatchOutput(const trace::SyscallBatchEvent& batch);
};

}  // namespace rwd::replayer
