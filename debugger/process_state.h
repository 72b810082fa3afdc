// ProcessState: the registers and memory a debugger sees and changes.
//
// They are the live replay's until the debugger changes one; from then on
// they are a Diversion's (replayer/diversion.h), a copy of the process that
// gdb's inferior calls run in. The diversion lasts until the next motion
// that is not one of its own: a forward motion while registers differ from
// the replay's runs in the copy (the call itself, or a user's `set $reg`
// then `next`); any other motion, goto or restart drops it, and the replay
// goes on from its recorded state.
//
// Borrows the timeline. Single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "arch/registers.h"
#include "base/status.h"
#include "base/thread_id.h"
#include "replayer/diversion.h"
#include "replayer/timeline.h"

namespace rwd::debugger {

class ProcessState {
 public:
  // `armed`: the debugger's breakpoint addresses, planted in a new copy.
  ProcessState(replayer::Timeline& timeline, std::function<std::vector<uint64_t>()> armed)
      : timeline_(timeline), armed_(std::move(armed)) {}

  Expected<arch::Registers> Registers(RecordedTid tid) const;
  Expected<std::vector<uint8_t>> FpRegisters(RecordedTid tid) const;
  Expected<std::vector<uint8_t>> ReadMemory(uint64_t addr, size_t len) const;
  Status WriteRegisters(RecordedTid tid, const arch::Registers& regs);
  Status WriteFpRegisters(RecordedTid tid, std::span<const uint8_t> bytes);
  Status WriteMemory(uint64_t addr, std::span<const uint8_t> bytes);

  // Breakpoints inserted or removed while diverted reach the copy too.
  Status OnBreakpointInserted(uint64_t addr);
  Status OnBreakpointRemoved(uint64_t addr);

  bool diverted() const { return diversion_ != nullptr; }
  // Before a motion: true when it runs in the copy (forward, with changed
  // registers); otherwise the copy is dropped. `note` gets what the user
  // should know: changes dropped unused, or a run off the recording.
  bool RunsDiverted(bool forward, RecordedTid tid, std::string* note);
  // Runs the copy (see Diversion::Run). A copy whose process ended is
  // dropped: the stop is then a SIGKILL at the recorded point, with a note.
  Expected<replayer::ReplayStop> RunDiverted(RecordedTid tid, bool step,
                                             const std::function<bool()>& interrupted,
                                             std::string* note);
  // Goto, restart, a checkpoint: back to the replay.
  void Drop() { diversion_.reset(); }

 private:
  Expected<replayer::Diversion*> Diverted();

  replayer::Timeline& timeline_;
  std::function<std::vector<uint64_t>()> armed_;
  std::unique_ptr<replayer::Diversion> diversion_;
};

}  // namespace rwd::debugger
