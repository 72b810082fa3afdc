// PassCounter: counts a thread's arrivals at one site of a loop from its
// last event on, with an in-process countdown probe (core/probe_stub.h), so
// that an asynchronous signal inside a loop whose registers, stack and
// globals repeat on every pass (an interpreter's) is named exactly: the
// k-th arrival at pc after the event before it (trace::SignalEvent::
// pass_count). Replay counts down the same arrivals (issue 13).
//
// The probe goes at the site where the thread's previous signal was placed
// by fingerprint, and only into a thread alone in its process (another
// thread's arrivals would count too). It is patched in only while the
// thread runs its own code: taken out at every syscall entry, so no syscall
// (fork, exec, mmap, a snapshot's injected fork) sees it, and put back after
// rt_sigreturn only (a signal handler's return, the path back into the
// loop). Every other syscall ends the count: the next signal there is
// placed by fingerprint again and starts it anew. The probe's pages are
// unmapped at the exit of the syscall that ends the count (or the first
// after a count stopped at a signal), so a snapshot never holds them; the
// syscall that ends it runs with them still mapped.
#pragma once

#include <cstdint>
#include <optional>

#include "arch/registers.h"
#include "base/status.h"
#include "recorder/record_part.h"

namespace rwd::recorder {

class PassCounter : public RecordPart {
 public:
  explicit PassCounter(RecordSession& session) : RecordPart(session) {}

  // After a signal was placed by fingerprint at `pc`, where the stopped
  // thread is: count its arrivals there from its handler's rt_sigreturn on,
  // when it is alone in its process and a probe fits.
  Status Start(RecordTask& task, uint64_t pc);
  // An event of thread `tid` was appended: its arrivals count from here.
  Status OnAppend(pid_t tid);
  // The same for a thread about to run from where it stopped.
  Status Restart(RecordTask& task);
  // A held-back signal is to be placed while the thread computes. When its
  // arrivals since its last event are known, arms the probe to stop it at
  // the next one and returns true: the signal stays held back until then.
  Expected<bool> StopAtNextArrival(RecordTask& task, const arch::Registers& regs);
  // At a SIGTRAP: when it is that stop, sets `regs` to the thread's at the
  // site and returns the arrival's number since the last event (from 1).
  Expected<std::optional<uint64_t>> TakeArrival(RecordTask& task, arch::Registers& regs);
  // Whether the thread passed the site since its last event: it is not
  // where that event left it, whatever its registers say.
  bool MovedSinceEvent(const RecordTask& task) const;
  // At a syscall entry: the program's own code back in place.
  Status BeforeSyscall(RecordTask& task);
  // At its exit, before a snapshot: the count ends unless the syscall was
  // rt_sigreturn; with no count left, the probe pages are unmapped.
  Status EndAtSyscallExit(RecordTask& task, bool sigreturn);
  // Then, before the thread runs again: patched again after rt_sigreturn.
  Status AfterSyscall(RecordTask& task, bool sigreturn);
  // Ends the count (before a walk by single steps, which must not enter
  // the trampoline); a thread inside the trampoline is stepped out of it.
  Status Stop(RecordTask& task);

 private:
  pid_t last_event_tid_ = 0;
};

}  // namespace rwd::recorder
