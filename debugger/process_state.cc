#include "debugger/process_state.h"

#include <signal.h>
#include <sys/wait.h>

namespace rwd::debugger {

Expected<arch::Registers> ProcessState::Registers(RecordedTid tid) const {
  if (diversion_) return diversion_->GetRegisters(tid);
  return timeline_.live().GetRegisters(tid);
}

Expected<std::vector<uint8_t>> ProcessState::FpRegisters(RecordedTid tid) const {
  if (diversion_) return diversion_->GetFpRegisters(tid);
  return timeline_.live().GetFpRegisters(tid);
}

Expected<std::vector<uint8_t>> ProcessState::ReadMemory(uint64_t addr, size_t len) const {
  if (diversion_) return diversion_->ReadMemory(addr, len);
  return timeline_.live().ReadMemory(RemoteAddr(addr), len);
}

Expected<replayer::Diversion*> ProcessState::Diverted() {
  if (!diversion_) {
    if (timeline_.exited()) {
      return Status(ErrorCode::kTraceeExited, "the replayed process has exited");
    }
    std::vector<uint64_t> armed = armed_();
    ASSIGN_OR_RETURN(diversion_, replayer::Diversion::Start(timeline_.live(), armed));
  }
  return diversion_.get();
}

Status ProcessState::WriteRegisters(RecordedTid tid, const arch::Registers& regs) {
  ASSIGN_OR_RETURN(replayer::Diversion * d, Diverted());
  return d->SetRegisters(tid, regs);
}

Status ProcessState::WriteFpRegisters(RecordedTid tid, std::span<const uint8_t> bytes) {
  ASSIGN_OR_RETURN(replayer::Diversion * d, Diverted());
  return d->SetFpRegisters(tid, bytes);
}

Status ProcessState::WriteMemory(uint64_t addr, std::span<const uint8_t> bytes) {
  ASSIGN_OR_RETURN(replayer::Diversion * d, Diverted());
  return d->WriteMemory(addr, bytes);
}

Status ProcessState::OnBreakpointInserted(uint64_t addr) {
  return diversion_ ? diversion_->InsertBreakpoint(addr) : Status::Ok();
}

Status ProcessState::OnBreakpointRemoved(uint64_t addr) {
  return diversion_ ? diversion_->RemoveBreakpoint(addr) : Status::Ok();
}

bool ProcessState::RunsDiverted(bool forward, RecordedTid tid, std::string* note) {
  if (!diversion_) return false;
  if (forward && !diversion_->Restored()) {
    // A call moves the pc to the function; the same pc with other
    // registers is the user's change, run as asked but said so.
    Expected<arch::Registers> now = diversion_->GetRegisters(tid);
    Expected<arch::Registers> replay = timeline_.live().GetRegisters(tid);
    const arch::Arch& arch = timeline_.live().arch();
    if (!diversion_->ran() && now.ok() && replay.ok() && arch.Pc(*now) == arch.Pc(*replay)) {
      *note =
          "running a copy of the process with the registers you changed, off the recording; "
          "reverse execution, 'monitor goto' or restoring the registers returns to the "
          "recording\n";
    }
    return true;
  }
  if (diversion_->ChangedSinceRun()) {
    *note =
        "the changes you made to registers or memory were dropped: a replay goes on as "
        "recorded (changes last until execution moves, for expressions and function calls)\n";
  }
  diversion_.reset();
  return false;
}

Expected<replayer::ReplayStop> ProcessState::RunDiverted(RecordedTid tid, bool step,
                                                         const std::function<bool()>& interrupted,
                                                         std::string* note) {
  ASSIGN_OR_RETURN(replayer::Diversion * d, Diverted());
  ASSIGN_OR_RETURN(replayer::ReplayStop stop, d->Run(tid, step, 0, interrupted));
  if (stop.kind != replayer::ReplayStop::Kind::kExited) return stop;
  int status = stop.wait_status;
  *note = WIFSIGNALED(status)
              ? "the code run off the recording was killed by signal " +
                    std::to_string(WTERMSIG(status))
              : "the code run off the recording ended the process (exit code " +
                    std::to_string(WEXITSTATUS(status)) + ")";
  *note += "; back at the recorded point\n";
  diversion_.reset();
  stop.kind = replayer::ReplayStop::Kind::kSignal;
  stop.signo = SIGKILL;
  stop.wait_status = 0;
  return stop;
}

}  // namespace rwd::debugger
