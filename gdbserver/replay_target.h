// ReplayTarget: the DebugTarget gdb debugs, over a replayer::Timeline.
// Forward and reverse execution, breakpoints and watchpoints go to the
// timeline; registers and memory come from its live session, which is
// read-only (the server refuses writes). `monitor` commands expose the
// timeline: when, checkpoints, restart, goto.
//
// Borrows the timeline. Single-threaded, like the server.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gdbserver/debug_target.h"
#include "replayer/timeline.h"

namespace rwd::gdbserver {

class ReplayTarget : public DebugTarget {
 public:
  explicit ReplayTarget(replayer::Timeline& timeline);

  const arch::Arch& arch() const override;
  int pid() const override;
  std::vector<ThreadInfo> Threads() override;
  int CurrentThread() override;
  Status SelectThread(int tid) override;
  Expected<arch::Registers> GetRegisters(int tid) override;
  Expected<std::vector<uint8_t>> GetFpRegisters(int tid) override;
  Expected<std::vector<uint8_t>> ReadMemory(uint64_t addr, size_t len) override;
  Status InsertBreakpoint(BreakpointType type, uint64_t addr, int len) override;
  Status RemoveBreakpoint(BreakpointType type, uint64_t addr, int len) override;
  StopReply Resume(const ResumeRequest& request, const std::function<bool()>& interrupted) override;
  StopReply LastStop() override { return last_stop_; }
  Expected<std::vector<uint8_t>> Auxv() override;
  std::string ExecFile() override;
  std::string HostPathFor(const std::string& path) override;
  std::optional<std::string> GeneratedFile(const std::string& path) override;
  Expected<std::vector<uint8_t>> Siginfo(int tid) override;
  std::string Monitor(const std::string& command) override;
  void Kill() override {}
  Status Restart() override;

 private:
  StopReply ToStopReply(const replayer::ReplayStop& stop);
  Status CheckLive() const;
  std::string When();

  replayer::Timeline& timeline_;
  std::vector<arch::HwWatch> watches_;
  std::vector<BreakpointType> watch_types_;  // parallel to watches_
  StopReply last_stop_;
  // The thread gdb selected with Hg (recorded tid); 0 for the one that
  // stopped last.
  int selected_ = 0;
  // Where `monitor restart`/`goto` left the replay, until it next resumes.
  std::optional<replayer::Position> moved_to_;
};

}  // namespace rwd::gdbserver
