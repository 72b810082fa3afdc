// ReplayWatchpoints: watchpoints. In the debug registers where they trigger on
// this machine (core/hw_watch_probe.h) and can hold the request; otherwise
// by page protection (PageWatch): the replayer controls all execution, so
// it sees every access to a watched page as a fault, single-steps the
// faulting instruction with the page's protection lifted and reports a
// watchpoint when that instruction changed a watched range (write and
// access watches) or touched one (read and access watches). Other faults on
// the page are retried the same way and the program goes on; a fault the
// program's own protection explains stays the program's.
//
// Memory the replay writes for the program (emulated syscall results,
// executed syscalls, signal frames) is compared before and after, in both
// modes: the debug registers never see those writes.
#include <signal.h>
#include <sys/mman.h>

#include "arch/siginfo_view.h"
#include "core/hw_watch_probe.h"
#include "core/signal_handler_entry.h"
#include "replayer/replay_session.h"

namespace rwd::replayer {

namespace {

using Stop = std::optional<ReplayStop>;

// A rep-prefixed string instruction traps after each element when
// single-stepped; steps of it with the page unprotected, before the next
// fault costs an mprotect pair again.
constexpr int kMaxRepeatSteps = 1 << 16;

struct SigFault {
  int si_code = 0;
  uint64_t addr = 0;
};

Expected<SigFault> ReadFault(const Tracee& t) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> info, t.GetSiginfo());
  arch::SiginfoView view(info);
  return SigFault{view.code(), view.addr()};
}

bool StopLike(const Stop& stop) {
  return !stop || stop->kind == ReplayStop::Kind::kStep ||
         stop->kind == ReplayStop::Kind::kEventBoundary;
}

}  // namespace

Tracee* ReplayWatchpoints::WatchTracee() const {
  if (s_.cur_ && InFocus(*s_.cur_) && !s_.cur_->zombie && !s_.cur_->at_syscall_entry)
    return &s_.cur_->tracee;
  for (const auto& t : s_.threads_) {
    if (InFocus(*t) && !t->zombie && !t->at_syscall_entry) return &t->tracee;
  }
  return s_.TaskIn(*s_.focus_mm_);
}

Status ReplayWatchpoints::ArmPageWatch(bool at_signal_stop) {
  if (hw_watch_ || page_watch_.empty() || page_watch_.armed()) return Status::Ok();
  Tracee* t = at_signal_stop ? &tracee() : WatchTracee();
  if (!t) return Status::Ok();
  return page_watch_.Arm(*t, s_.focus_mm_->patcher.syscall_insn(), at_signal_stop);
}

Status ReplayWatchpoints::DisarmPageWatch(bool at_signal_stop) {
  if (!page_watch_.armed()) return Status::Ok();
  Tracee* t = at_signal_stop ? &tracee() : WatchTracee();
  if (!t) {
    page_watch_.Drop();
    return Status::Ok();
  }
  return page_watch_.Disarm(*t, s_.focus_mm_->patcher.syscall_insn(), at_signal_stop);
}

Expected<bool> ReplayWatchpoints::SetWatchpoints(const std::vector<arch::HwWatch>& watches) {
  RETURN_IF_ERROR(DisarmPageWatch());
  if (hw_watch_) {
    for (const auto& t : s_.threads_) {
      if (InFocus(*t) && !t->zombie) {
        arch().host().SetHwWatchpoints(t->tracee.tid(), {}).IgnoreError();
      }
    }
    hw_watch_ = false;
  }
  page_watch_.SetWatches(watches);
  if (watches.empty()) return true;
  if (HardwareWatchpointsTrigger()) {
    bool fits = true;
    for (const auto& t : s_.threads_) {
      if (!InFocus(*t) || t->zombie) continue;
      fits = fits && arch().host().SetHwWatchpoints(t->tracee.tid(), watches).ok();
    }
    if (fits) {
      hw_watch_ = true;
      return true;
    }
    for (const auto& t : s_.threads_) {
      if (InFocus(*t) && !t->zombie) {
        arch().host().SetHwWatchpoints(t->tracee.tid(), {}).IgnoreError();
      }
    }
  }
  // Pages, which hold any number of ranges of any length.
  RETURN_IF_ERROR(ArmPageWatch());
  return true;
}

ReplayStop ReplayWatchpoints::WatchStop(int index) const {
  ReplayStop stop = MakeStop(ReplayStop::Kind::kWatchpoint);
  stop.watch_index = index;
  if (index >= 0 && static_cast<size_t>(index) < watches().size()) {
    stop.addr = watches()[index].addr;
  }
  return stop;
}

Expected<Stop> ReplayWatchpoints::OnSyscallStop(bool step) {
  if (watches().empty() || !InFocus(cur())) return s_.syscalls_.ReplaySyscall(step);
  ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
  // A thread parking at a blocking syscall's entry runs nothing either.
  bool emulated = ev && std::holds_alternative<trace::SyscallEntryEvent>(ev->body);
  if (auto* sc = ev ? std::get_if<trace::SyscallEvent>(&ev->body) : nullptr) {
    const arch::SyscallInfo* row = arch().syscalls().Find(sc->nr);
    emulated = row && !s_.syscalls_.RunsForReal(*row, *sc) &&
               row->special != arch::Special::kClone &&
               !(s_.syscalls_.IsMaskedWait(*row) && sc->result < 0);
  }
  auto before = page_watch_.Snapshot(tracee());
  // The kernel must see the program's own protections: it would fail
  // (EFAULT, or a forced SIGSEGV) where ours forbid the access.
  if (!emulated) RETURN_IF_ERROR(DisarmPageWatch());
  std::shared_ptr<AddressSpace> mm = s_.focus_mm_;
  ASSIGN_OR_RETURN(Stop stop, s_.syscalls_.ReplaySyscall(step));
  if (s_.focus_mm_ != mm || s_.exited_) {
    page_watch_.Drop();  // exec or exit: that address space is gone
    if (s_.exited_) return stop;
  }
  // It may have mapped, unmapped or re-protected watched pages.
  if (!emulated) page_watch_.ForgetProtections();
  RETURN_IF_ERROR(ArmPageWatch());
  Tracee* t = WatchTracee();
  if (t && s_.focus_mm_ == mm && StopLike(stop)) {
    if (std::optional<int> hit = page_watch_.FirstChanged(*t, before)) return Stop(WatchStop(*hit));
  }
  return stop;
}

Expected<Stop> ReplayWatchpoints::DeliverSignalDisarmed(int signo, bool step, bool async) {
  // The kernel writes the signal frame (and sigreturn reads it back) on the
  // program's stack, where a watched page may lie.
  auto before = page_watch_.Snapshot(tracee());
  // The injected mprotect must not cost the signal its siginfo (a fault's
  // address and code): it is put back at the step's signal stop, where the
  // resume below delivers it unchanged.
  Expected<std::vector<uint8_t>> siginfo = tracee().GetSiginfo();
  RETURN_IF_ERROR(DisarmPageWatch(/*at_signal_stop=*/true));
  if (siginfo.ok()) RETURN_IF_ERROR(tracee().SetSiginfo(*siginfo));
  const bool into_handler = async && SignalEntersHandler(tracee(), signo);
  RETURN_IF_ERROR(tracee().Resume(ResumeMode::kSysemuSingleStep, signo));
  ASSIGN_OR_RETURN(WaitStatus ws, s_.WaitFor(cur(), /*interruptible=*/true));
  if (ws.is_exit()) return s_.lifecycle_.OnExit(ws);
  RETURN_IF_ERROR(ArmPageWatch());
  if (ws.kind == WaitStatus::Kind::kSyscallStop) return s_.catcher_.OnCaughtSyscallStop(step);
  if (ws.kind != WaitStatus::Kind::kSignalStop) return Stop();
  if (ws.signo != SIGTRAP) return s_.signals_.OnSignalStop(ws.signo, step);
  std::optional<int> hit = page_watch_.FirstChanged(tracee(), before);
  if (into_handler) RETURN_IF_ERROR(ClearSignalFrameTrapRecord(tracee()));
  if (hit) return Stop(WatchStop(*hit));
  return step ? Stop(MakeStop(ReplayStop::Kind::kStep)) : Stop();
}

Expected<std::optional<Stop>> ReplayWatchpoints::OnPageWatchFault(bool step) {
  using Result = std::optional<Stop>;
  ASSIGN_OR_RETURN(SigFault fault, ReadFault(tracee()));
  if (!page_watch_.IsOurFault(fault.addr, fault.si_code)) return Result();
  page_watch_.CountFault();
  auto before = page_watch_.Snapshot(tracee());
  std::optional<int> touched = page_watch_.FirstAccessedAt(fault.addr);
  std::optional<std::vector<uint8_t>> touched_before;
  if (touched) {
    const arch::HwWatch& w = watches()[*touched];
    auto bytes = tracee().ReadBytes(w.addr, w.len);
    if (bytes.ok()) touched_before = std::move(*bytes);
  }
  ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
  const uint64_t pc = arch().Pc(regs);
  RETURN_IF_ERROR(DisarmPageWatch(/*at_signal_stop=*/true));
  // The faulting instruction again, with the program's own protection.
  WaitStatus ws;
  std::optional<int> changed;
  for (int steps = 0; steps < kMaxRepeatSteps; ++steps) {
    RETURN_IF_ERROR(tracee().Resume(ResumeMode::kSingleStep));
    ASSIGN_OR_RETURN(ws, tracee().Wait());
    if (ws.kind != WaitStatus::Kind::kSignalStop || ws.signo != SIGTRAP) break;
    changed = page_watch_.FirstChanged(tracee(), before);
    ASSIGN_OR_RETURN(regs, tracee().GetRegisters());
    if (changed || touched || arch().Pc(regs) != pc) break;
  }
  if (ws.is_exit()) {
    ASSIGN_OR_RETURN(Stop ended, s_.lifecycle_.OnExit(ws));
    return Result(ended);
  }
  Expected<std::vector<uint8_t>> siginfo = tracee().GetSiginfo();
  RETURN_IF_ERROR(ArmPageWatch(/*at_signal_stop=*/ws.kind == WaitStatus::Kind::kSignalStop));
  // The program's own fault keeps its siginfo through the injection.
  if (siginfo.ok() && ws.signo != SIGTRAP) RETURN_IF_ERROR(tracee().SetSiginfo(*siginfo));
  if (ws.kind != WaitStatus::Kind::kSignalStop) {
    return Status(ErrorCode::kUnsupported,
                  "single-stepping an access to a watched page ended in " + ws.ToString());
  }
  if (ws.signo == SIGSEGV) {
    // The program's protection forbids the access too: its own SIGSEGV,
    // now at its delivery stop.
    return Result();
  }
  if (ws.signo != SIGTRAP) {
    // A signal the replay had queued came first; the access runs again
    // after it.
    ASSIGN_OR_RETURN(Stop other, s_.signals_.OnSignalStop(ws.signo, step));
    return Result(other);
  }
  if (changed) return Result(Stop(WatchStop(*changed)));
  if (touched && watches()[*touched].kind == arch::HwKind::kRead) {
    // An instruction that changed the range wrote it: not a read. (One
    // that writes the value it finds, or reads and writes, counts as a
    // read, as the x86 debug registers, which watch reads as accesses.)
    const arch::HwWatch& w = watches()[*touched];
    auto now = tracee().ReadBytes(w.addr, w.len);
    if (!now.ok() || !touched_before || *now != *touched_before) touched.reset();
  }
  if (touched) return Result(Stop(WatchStop(*touched)));
  return Result(step ? Stop(MakeStop(ReplayStop::Kind::kStep)) : Stop());
}

}  // namespace rwd::replayer
