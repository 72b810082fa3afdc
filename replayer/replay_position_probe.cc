// PositionProbes: position probes, Timeline's way to a point inside a loop.
// A point between two events is named by its state (replayer/position.h);
// reaching it with a breakpoint costs a trap per pass of the loop, seconds
// for 10^6 passes. A state probe compares the registers in the process and
// traps only at the target; counting its passes on the way also tells how
// many times the loop came by first, and an arrival probe stops at any
// earlier one of them: the previous iteration, for reverse-stepi.
#include <cstdlib>
#include <cstring>
#include <utility>

#include "base/hex.h"
#include "core/stack_hash.h"
#include "replayer/replay_session.h"

namespace rwd::replayer {

namespace {

// A probe's jump covers at most this many bytes from its pc.
constexpr uint64_t kMaxPatch = 16;
// Recorded signals and preemptions to look through for a point near the
// site; beyond, the probe is refused rather than slow to arm.
constexpr uint64_t kMaxEventsToCheck = 10000;

Status Unsupported(const std::string& why) { return Status(ErrorCode::kUnsupported, why); }

bool Near(uint64_t a, uint64_t b) { return (a > b ? a - b : b - a) < kMaxPatch; }

// The pc where a recorded asynchronous signal or preemption lands, if `ev`
// is one: replay puts its own probe or breakpoint there.
std::optional<uint64_t> FingerprintPc(const arch::Arch& arch, const trace::Event& ev) {
  const std::vector<uint8_t>* bytes = nullptr;
  if (auto* sig = std::get_if<trace::SignalEvent>(&ev.body)) {
    if (!sig->synchronous) bytes = &sig->fingerprint;
  } else if (auto* p = std::get_if<trace::PreemptEvent>(&ev.body)) {
    bytes = &p->fingerprint;
  }
  if (!bytes || bytes->empty()) return std::nullopt;
  arch::Registers regs;
  std::memcpy(regs.data(), bytes->data(),
              std::min(bytes->size(), arch::Registers::capacity_bytes()));
  return arch.Pc(regs);
}

}  // namespace

Status PositionProbes::CheckPositionProbeSite(uint64_t pc, uint64_t until_event) {
  if (s_.exited() || !s_.focus_mm_) return Unsupported("the focus process has ended");
  if (position_probe_) return Unsupported("a position probe is armed already");
  if (s_.signals_.BreakpointNear(*s_.focus_mm_, pc))
    return Unsupported("a breakpoint sits at " + Hex(pc));
  for (const auto& t : s_.threads_) {
    if (t->mm != s_.focus_mm_ || t->zombie) continue;
    if (t->probe && Near(t->probe->pc(), pc)) return Unsupported("a probe sits near " + Hex(pc));
    ASSIGN_OR_RETURN(arch::Registers regs, t->tracee.GetRegisters());
    uint64_t at = arch().Pc(regs);
    if (at > pc && at < pc + kMaxPatch) {
      return Unsupported("thread " + std::to_string(t->tid) + " is stopped at " + Hex(at) +
                         ", inside the bytes a probe at " + Hex(pc) + " would replace");
    }
  }
  // A recorded signal or preemption on the way puts replay's own probe or
  // breakpoint at its point; the two must not overlap.
  uint64_t from = event_number();
  if (until_event + 1 - std::min(from, until_event + 1) > kMaxEventsToCheck) {
    return Unsupported("the target is too many events ahead for a probe");
  }
  RETURN_IF_ERROR(s_.reader_->Seek(from));
  for (uint64_t e = from; e <= until_event + 1; ++e) {
    ASSIGN_OR_RETURN(std::optional<trace::Event> ev, s_.reader_->Next());
    if (!ev) break;
    // An exec replaces the code the probe patched.
    if (std::holds_alternative<trace::ExecEvent>(ev->body)) {
      const ReplayTask* t = FindTask(ev->tid);
      if (!t || InFocus(*t))
        return Unsupported("an exec comes first, at event " + std::to_string(e + 1));
    }
    std::optional<uint64_t> at = FingerprintPc(arch(), *ev);
    if (at && Near(*at, pc)) {
      return Unsupported("the recorded event " + std::to_string(e + 1) + " lands near " + Hex(pc));
    }
  }
  return Status::Ok();
}

bool PositionProbes::PositionProbeFits(uint64_t pc) {
  Tracee* tracee = s_.focus_mm_ && !s_.exited() ? s_.TaskIn(*s_.focus_mm_) : nullptr;
  if (!tracee) return false;
  // The debugger's breakpoints do not count: probes go into re-executions,
  // which have none (CheckPositionProbeSite checks the one armed).
  for (const auto& [addr, original] : s_.focus_mm_->breakpoints) {
    if (addr >= pc && addr < pc + kMaxPatch && !s_.breakpoints_.debugger_breakpoints().count(addr))
      return false;
  }
  // The code as such a re-execution has it: without this one's breakpoints.
  const BreakpointTable& planted = s_.focus_mm_->breakpoints;
  auto as_in_a_copy = [&](uint64_t addr, std::span<uint8_t> bytes) { planted.Hide(addr, bytes); };
  return ProbeStub::CheckSite(*tracee, pc, as_in_a_copy).ok();
}

Status PositionProbes::ArmPositionProbe(uint64_t pc, std::optional<Position> target,
                                        uint64_t countdown, uint64_t until_event) {
  RETURN_IF_ERROR(CheckPositionProbeSite(pc, until_event));
  Tracee* tracee = s_.TaskIn(*s_.focus_mm_);
  if (!tracee) return Unsupported("the focus process has no thread to patch through");
  uint64_t syscall_insn = s_.focus_mm_->patcher.syscall_insn();
  Expected<ProbeStub> stub = target
                                 ? ProbeStub::InstallCounting(*tracee, s_.focus_mm_->probe_pages,
                                                              syscall_insn, pc, target->regs)
                                 : ProbeStub::InstallCountdown(*tracee, s_.focus_mm_->probe_pages,
                                                               syscall_insn, pc, countdown);
  if (!stub.ok()) {
    if (getenv("REWIND_DEBUG_PROBES")) {
      fprintf(stderr, "rewind: no position probe at %s: %s\n", Hex(pc).c_str(),
              stub.status().message().c_str());
    }
    return stub.status();
  }
  position_probe_.emplace(std::move(*stub), std::move(target));
  return Status::Ok();
}

Status PositionProbes::ArmStateProbe(const Position& target,
                                     const std::vector<uint8_t>& stack_window) {
  // The probe goes into the focus process's code.
  const ReplayTask* t = FindTask(target.tid);
  if (!t || !InFocus(*t)) {
    return Unsupported("thread " + std::to_string(target.tid) + " is not in the focus process");
  }
  RETURN_IF_ERROR(ArmPositionProbe(target.pc, target, 0, target.event));
  position_probe_->target_window = stack_window;
  return Status::Ok();
}

Status PositionProbes::ArmRegisterProbe(const Position& target) {
  RETURN_IF_ERROR(ArmStateProbe(target, {}));
  position_probe_->registers_only = true;
  return Status::Ok();
}

std::vector<uint8_t> PositionProbes::CurrentStackWindow() const {
  if (!s_.cur_) return {};
  Expected<arch::Registers> regs = tracee().GetRegisters();
  return regs.ok() ? FingerprintStackWindow(tracee(), *regs) : std::vector<uint8_t>();
}

Status PositionProbes::NarrowPositionProbe(const arch::Registers& regs) {
  PositionProbe& probe = *position_probe_;
  if (probe.narrowed || probe.target_window.empty()) return Status::Ok();
  std::vector<uint8_t> window = FingerprintStackWindow(tracee(), regs);
  std::vector<uint8_t> previous = std::exchange(probe.last_miss_window, window);
  if (previous.empty()) return Status::Ok();
  std::optional<ProbeMemCheck> word = WordSeparatingPasses(probe.target_window, previous, window);
  if (!word) return Status::Ok();
  probe.narrowed = true;
  ASSIGN_OR_RETURN(uint64_t passes, probe.stub.Passes(tracee()));
  uint64_t pc = probe.stub.pc();
  // One probe per site: the new one reads the original bytes.
  RETURN_IF_ERROR(probe.stub.Remove(tracee()));
  auto narrowed = ProbeStub::InstallCounting(tracee(), s_.focus_mm_->probe_pages,
                                             s_.focus_mm_->patcher.syscall_insn(), pc,
                                             probe.target->regs, word);
  if (!narrowed.ok()) {
    // Keep one that stops at every pass whose registers match.
    narrowed =
        ProbeStub::InstallCounting(tracee(), s_.focus_mm_->probe_pages,
                                   s_.focus_mm_->patcher.syscall_insn(), pc, probe.target->regs);
    if (!narrowed.ok()) return narrowed.status();
  }
  RETURN_IF_ERROR(narrowed->SetPasses(tracee(), passes));
  probe.stub = std::move(*narrowed);
  return Status::Ok();
}

Status PositionProbes::ArmArrivalProbe(uint64_t pc, uint64_t n, uint64_t until_event) {
  if (n == 0) return Status(ErrorCode::kInvalidInput, "arrivals are counted from 1");
  return ArmPositionProbe(pc, std::nullopt, n, until_event);
}

Expected<uint64_t> PositionProbes::DisarmPositionProbe() {
  if (!position_probe_) return Status(ErrorCode::kInvalidInput, "no position probe is armed");
  PositionProbe probe = std::move(*position_probe_);
  position_probe_.reset();
  if (!probe.stub.installed()) return probe.passes;
  Tracee* tracee = s_.TaskIn(*s_.focus_mm_);
  if (!tracee) return Status(ErrorCode::kInvalidInput, "the focus process has no thread");
  ASSIGN_OR_RETURN(uint64_t passes, probe.stub.Passes(*tracee));
  RETURN_IF_ERROR(probe.stub.Remove(*tracee));
  return passes;
}

Expected<std::optional<ReplayStop>> PositionProbes::OnPositionProbeHit(arch::Registers& regs) {
  PositionProbe& probe = *position_probe_;
  if (probe.target) {
    const Position& target = *probe.target;
    arch::Registers cleared = regs;
    arch().ClearStopArtifacts(cleared);
    bool same = cur().tid == target.tid && event_number() == target.event && cleared == target.regs;
    if (same && !probe.registers_only) {
      ASSIGN_OR_RETURN(uint64_t hash, s_.StackWindowHash());
      same = hash == target.stack_hash;
    }
    if (!same) {
      // The registers matched, the rest of the state did not: go on.
      RETURN_IF_ERROR(NarrowPositionProbe(regs));
      arch().SetPc(regs, probe.stub.bypass_pc());
      RETURN_IF_ERROR(tracee().SetRegisters(regs));
      return std::optional<ReplayStop>();
    }
  }
  ASSIGN_OR_RETURN(probe.passes, probe.stub.Passes(tracee()));
  RETURN_IF_ERROR(probe.stub.Remove(tracee()));
  ReplayStop stop = MakeStop(ReplayStop::Kind::kBreakpoint);
  stop.addr = probe.stub.pc();
  return std::optional<ReplayStop>(stop);
}

}  // namespace rwd::replayer
