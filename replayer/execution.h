// Execution: what Timeline needs of a forward replay, and nothing more, so
// that reverse execution (replayer/timeline.h) can be tested over scripted
// fakes (tests/unit/replayer_fake_execution.h) as well as run over real
// tracees (ReplayExecution, replayer/replay_execution.h).
//
// An execution runs forward only. Its stops are ReplayStops: breakpoints
// stop with the thread about to execute the instruction at `addr` (the next
// Continue() executes it first, without stopping again); watchpoints stop
// after the instruction that wrote. An execution owns what it runs; Fork()
// returns an independent copy at the same point (a checkpoint).
//
// Single-threaded, like the Timeline that drives it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "base/status.h"
#include "replayer/position.h"
#include "replayer/replay_stop.h"
#include "replayer/syscall_catch.h"

namespace rwd::replayer {

class Execution {
 public:
  virtual ~Execution() = default;

  // Runs until a breakpoint, watchpoint, signal, event boundary the
  // boundary predicate asks for, interrupt, or the end.
  virtual Expected<ReplayStop> Continue() = 0;
  // One instruction of the thread that runs next.
  virtual Expected<ReplayStop> Step() = 0;
  // One instruction of thread `tid` (recorded); other threads run first,
  // as recorded, without stopping at breakpoints.
  virtual Expected<ReplayStop> StepThread(pid_t tid) = 0;

  // An independent copy at the current point, with no breakpoints,
  // watchpoints, predicates or echo. Its buffered syscalls take this
  // execution's path (left to the replayer while syscalls are caught) until
  // set_syscall_catch. Allowed when CanFork().
  virtual Expected<std::unique_ptr<Execution>> Fork() = 0;
  virtual bool CanFork() const = 0;

  // The current point, named as Position does (replayer/position.h).
  virtual Position Here() = 0;
  // Events replayed so far, and in the whole trace.
  virtual uint64_t event_number() const = 0;
  virtual uint64_t event_count() const = 0;
  // The process the debugger sees has ended.
  virtual bool exited() const = 0;

  virtual Status InsertBreakpoint(uint64_t addr) = 0;
  // A breakpoint of one program (its recorded path): planted only while
  // the debugged process runs that program, so that a debugger following
  // execs never has one program's breakpoints written into another's code
  // when execution is repeated from before an exec. An empty `program`:
  // any program's, as InsertBreakpoint.
  virtual Status InsertBreakpointIn(const std::string& program, uint64_t addr) {
    (void)program;
    return InsertBreakpoint(addr);
  }
  virtual Status RemoveBreakpoint(uint64_t addr) = 0;
  // Replaces the watchpoints; false when they cannot be set here.
  virtual Expected<bool> SetWatchpoints(const std::vector<arch::HwWatch>& watches) = 0;

  // Continue() stops at the entry and the return of these syscalls of the
  // process the debugger sees (kSyscallEntry, kSyscallReturn); the next
  // Continue() or Step() from an entry runs that syscall.
  virtual void set_syscall_catch(const SyscallCatch& which) = 0;
  // In-process probes: the way to a point inside a loop without a trap per
  // pass. Each makes Continue() stop with kBreakpoint at the probe's pc;
  // false (nothing armed) where no probe fits, and the caller uses a
  // breakpoint instead. At most one is armed at a time.
  // Stops at exactly `target` (same stretch), counting arrivals at its pc.
  // `stack_window` (FingerprintStackWindow at the target; may be empty)
  // lets it tell apart passes of a loop whose registers repeat.
  virtual Expected<bool> ArmStateProbe(const Position& target,
                                       const std::vector<uint8_t>& stack_window) {
    return false;
  }
  // Stops at the first arrival of target.tid at target.pc with exactly
  // target.regs, whatever the memory: a state known by its registers only.
  virtual Expected<bool> ArmRegisterProbe(const Position& target) {
    (void)target;
    return false;
  }
  // The states that may have run just before the current thread's, when it
  // is at a function's first instruction: its call, or a stub's jump after
  // the call (arch::Arch::StatesCallingInto), in this event. Named by their
  // registers only: stack_hash is 0 (unknown), for ArmRegisterProbe.
  virtual std::vector<Position> StatesCallingHere() { return {}; }
  // The address of the instruction that falls into the current thread's
  // (arch::Arch::InsnFallingInto); nullopt when none does.
  virtual std::optional<uint64_t> InsnFallingHere() { return std::nullopt; }
  // FingerprintStackWindow of the current thread (empty if unknown).
  virtual std::vector<uint8_t> StackWindow() { return {}; }
  // Stops at the `n`-th arrival (n >= 1) of any thread at `pc`, expected
  // within the events up to `until_event`.
  virtual Expected<bool> ArmArrivalProbe(uint64_t pc, uint64_t n, uint64_t until_event) {
    return false;
  }
  // Whether this execution has counting probes at all (an encoder for its
  // arch that counts passes), and whether one could go at `pc` now (the
  // instructions there allow it).
  virtual bool HasProbes() const { return false; }
  virtual bool ProbeFits(uint64_t pc) { return false; }
  // Removes the armed probe; returns the arrivals a state probe counted,
  // the hit included.
  virtual Expected<uint64_t> DisarmProbe() { return 0; }

  // Called after each event Continue() replays; true stops it there with
  // kEventBoundary.
  virtual void set_boundary_stop(std::function<bool(uint64_t event)> predicate) = 0;
  // Polled while the program runs; true stops the run with kInterrupted.
  virtual void set_interrupt_poll(std::function<bool()> poll) = 0;
  // Reproduce the output only of events numbered >= `event`, so output
  // appears once however often a stretch is re-executed.
  virtual void set_echo_from_event(uint64_t event) = 0;
};

// A fresh execution at the start of the trace; `echo`: whether it
// reproduces the program's output at all.
using ExecutionOpener = std::function<Expected<std::unique_ptr<Execution>>(bool echo)>;

}  // namespace rwd::replayer
