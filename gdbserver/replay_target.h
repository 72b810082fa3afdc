// ReplayTarget: the DebugTarget gdb debugs, a thin adapter over a
// debugger::DebuggerSession, which holds the debugger's state (breakpoints,
// watchpoints, threads, stops, checkpoints) for every front end. This
// class only translates to and from gdb's terms: breakpoint types, stop
// replies, the files gdb reads, `monitor` commands. Registers and memory
// are the session's ProcessState: the live replay's, or a copy's once gdb
// changes them (inferior function calls).
//
// Borrows the session. Single-threaded, like the server.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "debugger/debugger_session.h"
#include "gdbserver/debug_target.h"

namespace rwd::gdbserver {

class ReplayTarget : public DebugTarget {
 public:
  explicit ReplayTarget(debugger::DebuggerSession& session);

  const arch::RegisterDescription& register_description() const override;
  int pid() const override;
  std::vector<ThreadInfo> Threads() override;
  int CurrentThread() override;
  Status SelectThread(int tid) override;
  Expected<arch::Registers> GetRegisters(int tid) override;
  Expected<std::vector<uint8_t>> GetFpRegisters(int tid) override;
  Expected<std::vector<uint8_t>> ReadMemory(uint64_t addr, size_t len) override;
  Status SetRegisters(int tid, const arch::Registers& regs) override;
  Status SetFpRegisters(int tid, std::span<const uint8_t> bytes) override;
  Status WriteMemory(uint64_t addr, std::span<const uint8_t> bytes) override;
  Status InsertBreakpoint(BreakpointType type, uint64_t addr, int len) override;
  Status RemoveBreakpoint(BreakpointType type, uint64_t addr, int len) override;
  StopReply Resume(const ResumeRequest& request, const std::function<bool()>& interrupted) override;
  StopReply LastStop() override { return ToStopReply(session_.last_stop()); }
  Expected<std::vector<uint8_t>> Auxv() override;
  std::string ExecFile() override;
  std::string HostPathFor(const std::string& path) override;
  std::optional<std::string> GeneratedFile(const std::string& path) override;
  Expected<std::vector<uint8_t>> Siginfo(int tid) override;
  Expected<uint64_t> ThreadLocalAddress(int tid, uint64_t link_map, uint64_t offset) override;
  Status CatchSyscalls(bool enable, const std::vector<int64_t>& numbers) override;
  void SetExecEvents(bool enabled) override { session_.set_follow_exec(enabled); }
  std::string Monitor(const std::string& command,
                      const std::function<bool()>& interrupted) override;
  void Kill() override {}
  Status Restart() override;

 private:
  StopReply ToStopReply(const debugger::Stop& stop) const;
  // Tells the user's terminal the program ends here, with this status.
  void ReportExit(int wait_status) const;

  debugger::DebuggerSession& session_;
};

}  // namespace rwd::gdbserver
