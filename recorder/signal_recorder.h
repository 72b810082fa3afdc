// SignalRecorder: a RecordSession's part that records signals, trapped
// instructions (rdtsc, rdrand, cpuid where patched) and preemptions. An
// asynchronous signal is held back until the thread's next syscall, or
// placed where the thread is and fingerprinted (registers, a stack hash and
// maybe a stack word) so that replay can find that point again
// (record_signals.cc).
#pragma once

#include <optional>
#include <vector>

#include "arch/arch.h"
#include "core/probe_stub.h"
#include "recorder/record_part.h"

namespace rwd::recorder {

class SignalRecorder : public RecordPart {
 public:
  explicit SignalRecorder(RecordSession& session) : RecordPart(session) {}

  // Whether another thread of task's process is in a syscall whose entry
  // was recorded and whose SyscallEvent was not: its results may land in
  // memory at any moment, so a fingerprint taken now must not hash the
  // globals (trace/event.h).
  bool SyscallInFlightBeside(const RecordTask& task) const;
  // Returns the signal to deliver when resuming (0 for none), or -1 when the
  // thread was switched away from.
  Expected<int> OnSignal(RecordTask& task, int signo);
  // Delivers `signo`, which OnSignal chose, into its handler as replay does
  // (core/signal_handler_entry.h) when it is asynchronous. Returns whether
  // it did.
  Expected<bool> EnterHandler(RecordTask& task, int signo);
  // Whether the thread blocks its oldest deferred signal.
  bool DeferredSignalBlocked(const RecordTask& task) const;
  Expected<bool> EmulateTrapInsn(RecordTask& task, int signo, arch::Registers& regs);
  Status RecordSignal(RecordTask& task, int signo, const std::vector<uint8_t>& siginfo,
                      const arch::Registers& regs, bool with_fingerprint,
                      const std::optional<ProbeMemCheck>& word = std::nullopt,
                      uint64_t pass_count = 0);
  // Whether the stopped thread, at `regs`, is where its last event left it
  // (registers, and the stack and vector registers after a preemption).
  bool AtBoundary(const RecordTask& task, const arch::Registers& regs) const;
  Status RecordPreempt(RecordTask& task, const arch::Registers& regs,
                       const std::optional<ProbeMemCheck>& word);
  // Single-steps a thread stopped mid-code to a point an in-process probe
  // can find again; updates `regs`. `word`: a stack word that tells the
  // loop's passes apart when its registers do not.
  Status MoveToProbeSite(RecordTask& task, arch::Registers& regs,
                         std::optional<ProbeMemCheck>* word);
  // Delivers the oldest held-back signal where the stopped thread is (after
  // walking it to a probe site unless `at_boundary`) and records where;
  // returns the signal to resume with.
  Expected<int> PlaceDeferredSignal(RecordTask& task, arch::Registers& regs, bool at_boundary);
  // Delivers it at the thread's `arrival`-th arrival at its pass counter's
  // site since its last event, where the stopped thread is (PassCounter).
  Expected<int> PlaceDeferredSignalAtArrival(RecordTask& task, const arch::Registers& regs,
                                             uint64_t arrival);
  // One single-step of a stopped thread; signals that interrupt it are held
  // back.
  Status StepOnce(RecordTask& task);
  // When the stopped thread's pc is on an instruction that repeats inside
  // itself (InterruptibleInsnLength), runs it to its end; sets `*finished`.
  // Signals that interrupt it are held back, as in StepOnce.
  Status FinishInterruptibleInsn(RecordTask& task, bool* finished);
  // At a syscall-entry stop: the deferred signal to deliver now, or 0.
  int TakeDeferredSignal(RecordTask& task, const PendingSyscall& pending);
  // Holds back an asynchronous signal until the thread's next syscall or
  // the patience runs out. A standard signal already held back merges with
  // it, as a pending one does in the kernel.
  void Defer(RecordTask& task, int signo, const std::vector<uint8_t>& siginfo);
  // When the oldest held-back signal must be placed where the thread is.
  void SetDeferDeadline(RecordTask& task);
};

}  // namespace rwd::recorder
