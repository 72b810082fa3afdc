#include "replayer/replay_execution.h"

namespace rwd::replayer {

ExecutionOpener ReplayExecution::Opener(const ReplayOptions& options) {
  return [options](bool echo) -> Expected<std::unique_ptr<Execution>> {
    ReplayOptions opened = options;
    opened.echo_output = options.echo_output && echo;
    ASSIGN_OR_RETURN(std::unique_ptr<ReplaySession> s, ReplaySession::Open(opened));
    return std::unique_ptr<Execution>(new ReplayExecution(std::move(s)));
  };
}

Expected<std::unique_ptr<Execution>> ReplayExecution::Fork() {
  ASSIGN_OR_RETURN(std::unique_ptr<ReplaySession> copy, session_->Fork());
  return std::unique_ptr<Execution>(new ReplayExecution(std::move(copy)));
}

namespace {

// Far more than the library's longest path between two of its calls'
// syscalls; only a bound, should a thread ever loop in there.
constexpr int kMaxLibrarySteps = 1 << 20;

}  // namespace

Expected<ReplayStop> ReplayExecution::Step() {
  ASSIGN_OR_RETURN(ReplayStop stop, session_->Step());
  for (int steps = 0; steps < kMaxLibrarySteps && StillInLibrary(stop); ++steps) {
    ASSIGN_OR_RETURN(stop, session_->Step());
  }
  return stop;
}

Expected<ReplayStop> ReplayExecution::StepThread(pid_t tid) {
  ASSIGN_OR_RETURN(ReplayStop stop, session_->StepThread(tid));
  for (int steps = 0; steps < kMaxLibrarySteps && StillInLibrary(stop); ++steps) {
    ASSIGN_OR_RETURN(stop, session_->StepThread(tid));
  }
  return stop;
}

bool ReplayExecution::StillInLibrary(const ReplayStop& stop) {
  // Breakpoints, watchpoints, signals and caught syscalls are reported
  // where they happen.
  if (stop.kind != ReplayStop::Kind::kStep || !session_->MayBeInLibraryCode()) return false;
  Expected<arch::Registers> regs = session_->GetRegisters();
  return regs.ok() && session_->InLibraryCode(session_->arch().Pc(*regs));
}

Position ReplayExecution::Here() {
  ReplaySession& s = *session_;
  Position p;
  p.event = s.event_number();
  p.boundary = s.at_event_boundary();
  p.tid = s.current_tid().value();
  p.syscall_entry = s.at_syscall_entry_stop();
  p.buffered_return = s.at_buffered_return_stop();
  p.program = s.exec_path();
  auto regs = s.GetRegisters();
  if (regs.ok()) {
    p.regs = *regs;
    p.pc = s.arch().Pc(p.regs);
    // The same point reads differently after a step, a breakpoint or a
    // syscall stop on some architectures; that is not part of its name.
    s.arch().ClearStopArtifacts(p.regs);
    p.in_library = s.InLibraryCode(p.pc);
  }
  if (auto hash = s.StackWindowHash(); hash.ok()) p.stack_hash = *hash;
  return p;
}

namespace {

// kUnsupported: no probe fits, which the caller handles with a breakpoint.
Expected<bool> Armed(const Status& status) {
  if (status.ok()) return true;
  if (status.code() == ErrorCode::kUnsupported) return false;
  return status;
}

}  // namespace

Expected<bool> ReplayExecution::ArmStateProbe(const Position& target,
                                              const std::vector<uint8_t>& stack_window) {
  return Armed(session_->ArmStateProbe(target, stack_window));
}

Expected<bool> ReplayExecution::ArmRegisterProbe(const Position& target) {
  return Armed(session_->ArmRegisterProbe(target));
}

std::vector<Position> ReplayExecution::StatesCallingHere() {
  ReplaySession& s = *session_;
  const Position here = Here();
  auto read = [&s](uint64_t addr, size_t len) -> std::optional<std::vector<uint8_t>> {
    Expected<std::vector<uint8_t>> bytes = s.ReadMemory(RemoteAddr(addr), len);
    if (!bytes.ok()) return std::nullopt;
    return std::move(*bytes);
  };
  std::vector<Position> out;
  for (const arch::Registers& regs : s.arch().StatesCallingInto(here.regs, read)) {
    Position p;
    p.event = here.event;
    p.tid = here.tid;
    p.program = here.program;
    p.regs = regs;
    p.pc = s.arch().Pc(regs);
    out.push_back(std::move(p));
  }
  return out;
}

std::optional<uint64_t> ReplayExecution::InsnFallingHere() {
  ReplaySession& s = *session_;
  Expected<arch::Registers> regs = s.GetRegisters();
  if (!regs.ok()) return std::nullopt;
  const uint64_t pc = s.arch().Pc(*regs);
  // Enough for decodings from several starts to agree; fewer bytes where
  // the mapping begins closer.
  for (size_t window : {64, 16}) {
    if (pc < window) continue;
    Expected<std::vector<uint8_t>> code = s.ReadMemory(RemoteAddr(pc - window), window);
    if (!code.ok()) continue;
    std::optional<arch::DecodedInsn> insn = s.arch().InsnFallingInto(*code, pc);
    return insn ? std::optional<uint64_t>(insn->addr) : std::nullopt;
  }
  return std::nullopt;
}

Expected<bool> ReplayExecution::ArmArrivalProbe(uint64_t pc, uint64_t n, uint64_t until_event) {
  return Armed(session_->ArmArrivalProbe(pc, n, until_event));
}

}  // namespace rwd::replayer
