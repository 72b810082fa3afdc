// ReplayWatchpoints: a ReplaySession's part that keeps the debugger's
// watchpoints on the focus process. In the debug registers where they
// trigger on this machine (core/hw_watch_probe.h) and can hold the request;
// otherwise by page protection (PageWatch), any number and length. Stops at
// syscalls and signal deliveries compare the watched ranges before and
// after, since the debug registers never see the replay's own writes
// (replay_watch.cc).
#pragma once

#include <optional>
#include <vector>

#include "arch/arch.h"
#include "replayer/page_watch.h"
#include "replayer/replay_part.h"

namespace rwd::replayer {

class ReplayWatchpoints : public ReplayPart {
 public:
  explicit ReplayWatchpoints(ReplaySession& session) : ReplayPart(session) {}

  // Replaces the watchpoints (see ReplaySession::SetWatchpoints).
  Expected<bool> SetWatchpoints(const std::vector<arch::HwWatch>& watches);
  // Kept once, by the page watch, whether or not it is armed.
  const std::vector<arch::HwWatch>& watches() const { return page_watch_.watches(); }
  // The watches are in the debug registers (else in page protections).
  bool hardware() const { return hw_watch_; }
  const PageWatch& page_watch() const { return page_watch_; }

  // A syscall stop of the current thread: replays it (SyscallCatcher's
  // caller) and reports a watchpoint its memory writes hit.
  Expected<std::optional<ReplayStop>> OnSyscallStop(bool step);
  // Delivers `signo` with the watched pages unprotected for the kernel's
  // signal frame, then handles the stop that follows.
  // `async`: not a fault the CPU raised; its handler's frame is made the
  // recorder's (core/signal_handler_entry.h).
  Expected<std::optional<ReplayStop>> DeliverSignalDisarmed(int signo, bool step, bool async);
  // At a SIGSEGV: nullopt when it is not a watched page's fault (or is the
  // program's own there); else what the fault came to.
  Expected<std::optional<std::optional<ReplayStop>>> OnPageWatchFault(bool step);
  // `at_signal_stop`: through the current thread, which sits at a signal
  // stop (see PageWatch::Arm).
  Status ArmPageWatch(bool at_signal_stop = false);
  Status DisarmPageWatch(bool at_signal_stop = false);

 private:
  ReplayStop WatchStop(int index) const;
  // A stopped thread of the focus process to inject mprotect into.
  Tracee* WatchTracee() const;

  bool hw_watch_ = false;  // the watches are in the debug registers
  PageWatch page_watch_;   // or in page protections of the focus process
};

}  // namespace rwd::replayer
