// ReplayExecution: the Execution (replayer/execution.h) of a real replay, a
// ReplaySession over the trace's re-executed processes. It owns the session
// and forwards to it; Here() names the session's current point.
#pragma once

#include <memory>
#include <vector>

#include "arch/probe_encoder.h"
#include "replayer/execution.h"
#include "replayer/replay_session.h"

namespace rwd::replayer {

class ReplayExecution : public Execution {
 public:
  explicit ReplayExecution(std::unique_ptr<ReplaySession> session) : session_(std::move(session)) {}

  // Opens sessions of `options` (echoing only when both ask for it).
  static ExecutionOpener Opener(const ReplayOptions& options);

  ReplaySession& session() { return *session_; }

  Expected<ReplayStop> Continue() override { return session_->Continue(); }
  // A step that ends in rewind's own code goes on to the program's: that
  // code is one syscall instruction to the program (replayer/library_code.h).
  Expected<ReplayStop> Step() override;
  Expected<ReplayStop> StepThread(pid_t tid) override;
  Expected<std::unique_ptr<Execution>> Fork() override;
  bool CanFork() const override { return session_->CanFork(); }
  Position Here() override;
  uint64_t event_number() const override { return session_->event_number(); }
  uint64_t event_count() const override { return session_->event_count(); }
  bool exited() const override { return session_->exited(); }
  Status InsertBreakpoint(uint64_t addr) override { return session_->InsertBreakpoint(addr); }
  Status InsertBreakpointIn(const std::string& program, uint64_t addr) override {
    return session_->InsertBreakpoint(addr, program);
  }
  Status RemoveBreakpoint(uint64_t addr) override { return session_->RemoveBreakpoint(addr); }
  Expected<bool> SetWatchpoints(const std::vector<arch::HwWatch>& watches) override {
    return session_->SetWatchpoints(watches);
  }
  void set_syscall_catch(const SyscallCatch& which) override { session_->set_syscall_catch(which); }
  Expected<bool> ArmStateProbe(const Position& target,
                               const std::vector<uint8_t>& stack_window) override;
  Expected<bool> ArmRegisterProbe(const Position& target) override;
  std::vector<Position> StatesCallingHere() override;
  std::optional<uint64_t> InsnFallingHere() override;
  std::vector<uint8_t> StackWindow() override { return session_->CurrentStackWindow(); }
  Expected<bool> ArmArrivalProbe(uint64_t pc, uint64_t n, uint64_t until_event) override;
  bool HasProbes() const override {
    const arch::ProbeEncoder* encoder = arch::ProbeEncoderFor(session_->arch());
    return encoder != nullptr && encoder->counts_passes();
  }
  bool ProbeFits(uint64_t pc) override { return session_->PositionProbeFits(pc); }
  Expected<uint64_t> DisarmProbe() override { return session_->DisarmPositionProbe(); }
  void set_boundary_stop(std::function<bool(uint64_t)> predicate) override {
    session_->set_boundary_stop(std::move(predicate));
  }
  void set_interrupt_poll(std::function<bool()> poll) override {
    session_->set_interrupt_poll(std::move(poll));
  }
  void set_echo_from_event(uint64_t event) override { session_->set_echo_from_event(event); }

 private:
  // A plain step that ended in rewind's own code.
  bool StillInLibrary(const ReplayStop& stop);

  std::unique_ptr<ReplaySession> session_;
};

}  // namespace rwd::replayer
