// SpinTrap: a RecordSession's part that switches away from a spinning
// thread the moment it spins again, instead of after a time slice.
//
// A thread whose last preemption found it in a loop whose registers and
// stack never change (RecordTask::spinning, at RecordTask::spin_site) waits
// for another thread to write memory. When it runs again, a breakpoint on
// that loop's probe site stops it as soon as it is back there; if the next
// passes come back with the same registers and stack, it spins again, and
// it is preempted right there: the site is one replay's probe finds, so
// neither a time slice nor a SIGSTOP nor a walk to a probe site is spent
// per hand-off (issue 13: a lock-free ping-pong waited out a slice, then
// walked ~16 single-steps, for every hand-off). A pass that changes them
// says the loop computes: the breakpoint goes and the thread runs as usual.
//
// Only the scheduled thread runs its own code, so no other thread meets the
// breakpoint; it is taken out at every stop of the thread, before anything
// else looks at its memory (spin_trap.cc).
#pragma once

#include "recorder/record_part.h"

namespace rwd::recorder {

class SpinTrap : public RecordPart {
 public:
  explicit SpinTrap(RecordSession& session) : RecordPart(session) {}

  // Resumes the just scheduled `task` with the breakpoint on its spin site
  // when it is stopped there, spinning. Returns whether it did (otherwise
  // the caller resumes it as usual).
  Expected<bool> Resume(RecordTask& task);
  // The first thing at any stop of `task`: takes the breakpoint out.
  // Returns whether the stop was that breakpoint and is handled (the
  // thread was resumed or switched away from).
  Expected<bool> OnStop(RecordTask& task, const WaitStatus& ws);

 private:
  // Steps the stopped thread off its spin site and plants the breakpoint
  // there; false when it cannot (the thread left the site's loop in that
  // step, or a signal wants placing).
  Expected<bool> Plant(RecordTask& task);
  Status Unplant(RecordTask& task);
};

}  // namespace rwd::recorder
