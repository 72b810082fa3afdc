// ReplayPart: the base of the parts a ReplaySession is made of (the thread
// lifecycle, syscall, syscall-buffer, caught-syscall, signal, position-probe,
// watchpoint and breakpoint replayers). A part keeps its own state and asks
// the session, through the calls below, for what every part needs: the
// current thread, the event stream and how to report a divergence. The
// scheduler and the state shared by several parts (the thread table, the
// focus process, the end of history) stay in the session, which the parts
// reach as s_.
//
// The definitions follow ReplaySession in replay_session.h.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "arch/arch.h"
#include "base/status.h"
#include "replayer/replay_stop.h"
#include "replayer/replay_task.h"
#include "trace/event.h"

namespace rwd::replayer {

class ReplaySession;

class ReplayPart {
 public:
  ReplayPart(const ReplayPart&) = delete;
  ReplayPart& operator=(const ReplayPart&) = delete;

 protected:
  explicit ReplayPart(ReplaySession& session) : s_(session) {}

  // Whether there is a current thread (none before the first event's owner
  // is scheduled, nor after the focus process ended).
  bool has_cur() const;
  // The thread that last ran or runs next, its tracee and code patcher.
  ReplayTask& cur() const;
  Tracee& tracee() const;
  CodePatcher& patcher() const;
  const arch::Arch& arch() const;
  // The next event to replay (nullptr at the end), and moving past it.
  Expected<const trace::Event*> PeekEvent() const;
  void ConsumeEvent() const;
  uint64_t event_number() const;
  // A kDivergence naming the current event (or `event`) and thread.
  Status Diverged(const std::string& what) const;
  Status DivergedAt(uint64_t event, const std::string& what) const;
  ReplayStop MakeStop(ReplayStop::Kind kind) const;
  // Bookkeeping after an event was replayed; may produce a stop.
  std::optional<ReplayStop> AfterEvent(bool step) const;
  ReplayTask* FindTask(pid_t recorded_tid) const;
  // `t` belongs to the process the debugger sees.
  bool InFocus(const ReplayTask& t) const;
  // The focus process has exited.
  bool focus_exited() const;

  ReplaySession& s_;
};

}  // namespace rwd::replayer
