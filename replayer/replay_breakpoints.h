// ReplayBreakpoints: a ReplaySession's part that keeps the debugger's
// breakpoints in the focus process and plants the replayer's own (for
// fingerprints) in any address space; the planted instructions and the
// bytes they replaced are each AddressSpace's BreakpointTable. Breakpoints
// in memory not mapped yet wait as deferred ones, planted when a mapping
// appears. Memory reads of the focus process see the program's bytes:
// breakpoints, probes and rewind's patches hidden (replay_breakpoints.cc).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/remote_addr.h"
#include "replayer/replay_part.h"

namespace rwd::replayer {

class ReplayBreakpoints : public ReplayPart {
 public:
  explicit ReplayBreakpoints(ReplaySession& session) : ReplayPart(session) {}

  // The debugger's breakpoints, in the focus process. One with a `program`
  // (a recorded executable path) is planted only while the focus process
  // runs that program, and waits as a deferred one otherwise.
  Status InsertBreakpoint(uint64_t addr, const std::string& program = "");
  Status RemoveBreakpoint(uint64_t addr);
  const std::set<uint64_t>& debugger_breakpoints() const { return debugger_breakpoints_; }
  bool IsDebuggerBreakpoint(const ReplayTask& t, uint64_t addr) const {
    return InFocus(t) && debugger_breakpoints_.count(addr);
  }
  // Memory of the focus process as the program sees it.
  Expected<std::vector<uint8_t>> ReadMemory(RemoteAddr addr, size_t len) const;

  Status Plant(AddressSpace& mm, uint64_t addr);
  Status Unplant(AddressSpace& mm, uint64_t addr);
  // Plants deferred breakpoints whose memory is now mapped.
  Status PlantDeferred();
  // After a mapping change: re-plants breakpoints whose bytes it replaced.
  Status RefreshBreakpoints();
  // The focus process exec'd: the debugger's breakpoints belong to the new
  // image once it maps them.
  Status MoveToNewImage();
  // While the syscall buffer library of the focus process reads libc's code
  // to patch it (RWD_SB_REGISTER_PATCHING to RWD_SB_READY), the debugger's
  // breakpoints wait as deferred ones: the library must see the bytes it
  // saw when recording.
  Status SuspendDebuggerBreakpoints();
  Status ResumeDebuggerBreakpoints();
  bool suspended() const { return breakpoints_suspended_; }
  void set_suspended(bool suspended) { breakpoints_suspended_ = suspended; }
  // Steps over a breakpoint at the current pc before continuing; returns a
  // stop that step produced other than a plain step.
  Expected<std::optional<ReplayStop>> StepOverBreakpoint();
  // Writes the original bytes under every breakpoint of `mm` into `task`'s
  // memory (a forked child must not inherit them).
  Status RemoveBreakpointsFrom(const AddressSpace& mm, Tracee& task);
  // The same for the probes patched into `mm`, in a process that copied it
  // (they stay in `mm`).
  Status RemoveProbesFrom(const AddressSpace& mm, Tracee& copy);

 private:
  // Whether `addr` may be planted in the program the focus process runs.
  bool ForThisProgram(uint64_t addr) const;

  std::set<uint64_t> debugger_breakpoints_;
  // The program of each debugger breakpoint that has one.
  std::map<uint64_t, std::string> program_of_;
  // Debugger breakpoints in memory not mapped yet (e.g. in a library, after
  // going back to before it was loaded): planted when a mapping appears.
  std::set<uint64_t> deferred_breakpoints_;
  // Deferred ones stay so: see SuspendDebuggerBreakpoints.
  bool breakpoints_suspended_ = false;
};

}  // namespace rwd::replayer
