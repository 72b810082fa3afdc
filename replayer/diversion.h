// Diversion: a disposable copy of the replayed process that a debugger may
// change and run off the recording.
//
// gdb's inferior function calls (`print f(2)`, `call f()`, and the ifunc
// resolvers it calls to place `break strlen`) write arguments to the stack
// and registers, run the function to a breakpoint at a return address of
// gdb's own, read the result and write the registers back. A replay cannot
// let that happen to the recorded execution, so, as rr does, the first
// write that changes something makes a copy-on-write fork of the live
// replay (ReplaySession::Fork), and reads, writes and forward runs go to
// the copy until the debugger moves the replay again. The replay itself
// never changes.
//
// Running the copy: only the thread asked runs; the others stay stopped (a
// called function runs on the thread gdb calls it in). Syscalls have no
// recording to come from: those a replay runs for real (memory map, signal
// state, the end of the process; not clone or exec) run for real; write()
// to the program's stdout and stderr is shown on rewind's stderr (the
// protocol may be on its stdout); and every other syscall
// fails with ENOSYS rather than touch files, processes or the network
// behind the recording's back.
//
// Limits: a copy can be made only where the replay can take a checkpoint
// (one process, no signal about to be delivered); a function that waits
// for another thread waits until interrupted (Ctrl-C).
//
// Single-threaded: ptrace requests come from the thread that made it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "arch/registers.h"
#include "base/status.h"
#include "base/thread_id.h"
#include "core/wait_status.h"
#include "replayer/replay_session.h"
#include "replayer/replay_stop.h"

namespace rwd::replayer {

class Diversion {
 public:
  // A copy of `live` as it stands; `breakpoints` (the debugger's) are
  // planted in it, so that a called function stops at them as natively.
  static Expected<std::unique_ptr<Diversion>> Start(ReplaySession& live,
                                                    std::span<const uint64_t> breakpoints);

  Expected<arch::Registers> GetRegisters(RecordedTid tid) const;
  Expected<std::vector<uint8_t>> GetFpRegisters(RecordedTid tid) const;
  Status SetRegisters(RecordedTid tid, const arch::Registers& regs);
  Status SetFpRegisters(RecordedTid tid, std::span<const uint8_t> bytes);
  // As the program sees it: breakpoints and rewind's patches hidden.
  Expected<std::vector<uint8_t>> ReadMemory(uint64_t addr, size_t len) const;
  Status WriteMemory(uint64_t addr, std::span<const uint8_t> bytes);
  Status InsertBreakpoint(uint64_t addr);
  Status RemoveBreakpoint(uint64_t addr);

  // Every thread whose registers were written has those it had in the
  // replay again (the debugger put back what it changed, as gdb does when
  // a call returns): the copy has served its purpose.
  bool Restored() const;
  // Whether the copy ran.
  bool ran() const { return ran_; }
  // Changes that no run used yet: memory written since the last run, or
  // registers not restored.
  bool ChangedSinceRun() const { return memory_written_since_run_ || !Restored(); }

  // Runs thread `tid` until a breakpoint, the end of a single step
  // (`step`), a signal, or the end of the process; delivers `signo`
  // first. `interrupted` is polled every 100 ms: true stops the run with
  // kInterrupted.
  Expected<ReplayStop> Run(RecordedTid tid, bool step, int signo,
                           const std::function<bool()>& interrupted);

 private:
  explicit Diversion(std::unique_ptr<ReplaySession> copy) : copy_(std::move(copy)) {}
  Expected<Tracee*> ThreadOf(RecordedTid tid) const;
  // At a syscall's entry stop: runs it, shows it, or fails it (see above),
  // and leaves the thread at its exit stop; the wait status when the
  // process ended instead.
  Expected<std::optional<WaitStatus>> HandleSyscall(Tracee& t);
  // The stop a wait status of a run (not a syscall stop) makes.
  Expected<ReplayStop> StopFor(const WaitStatus& ws, Tracee& t, RecordedTid tid, bool step,
                               bool interrupt_sent);
  ReplayStop ExitStop(const WaitStatus& ws, RecordedTid tid) const;
  ReplayStop MakeStop(ReplayStop::Kind kind, RecordedTid tid) const;

  std::unique_ptr<ReplaySession> copy_;
  // Registers in the replay of each thread the debugger changed.
  std::map<RecordedTid, arch::Registers> replay_registers_;
  std::set<uint64_t> breakpoints_;
  bool ran_ = false;
  bool memory_written_since_run_ = false;
};

}  // namespace rwd::replayer
