#include "replayer/replay_code_guard.h"

#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <vector>

#include "arch/siginfo_view.h"
#include "base/hex.h"
#include "replayer/replay_session.h"

namespace rwd::replayer {

namespace {

using Stop = std::optional<ReplayStop>;

// A rep-prefixed string instruction (memcpy of new code) traps after each
// element when single-stepped; the guard stays off while it goes on.
constexpr int kMaxRepeatSteps = 1 << 16;

// Runs `inject` (a step through an injected syscall) keeping the thread's
// siginfo: at a signal stop it is what a resume delivers.
template <typename F>
Status KeepingSiginfo(Tracee& t, F inject) {
  Expected<std::vector<uint8_t>> siginfo = t.GetSiginfo();
  RETURN_IF_ERROR(inject());
  if (siginfo.ok()) RETURN_IF_ERROR(t.SetSiginfo(*siginfo));
  return Status::Ok();
}

}  // namespace

Tracee* ReplayCodeGuard::InjectorIn(const AddressSpace& mm) const {
  auto usable = [&](const ReplayTask& t) {
    return t.mm.get() == &mm && !t.zombie && !t.reaped && !t.at_syscall_entry &&
           !t.signal_queued;
  };
  if (has_cur() && usable(cur())) return &cur().tracee;
  for (const auto& t : s_.threads_) {
    if (usable(*t)) return &t->tracee;
  }
  return nullptr;
}

Status ReplayCodeGuard::Protect(AddressSpace& mm) {
  std::set<uint64_t> pages;
  const size_t len = arch().BreakpointInsn().size();
  for (const auto& [addr, original] : mm.breakpoints) {
    pages.insert(mm.code_guard.page_of(addr));
    pages.insert(mm.code_guard.page_of(addr + len - 1));
  }
  for (const auto& t : s_.threads_) {
    if (t->mm.get() != &mm || !t->probe || !t->probe->installed()) continue;
    pages.insert(mm.code_guard.page_of(t->probe->pc()));
    pages.insert(mm.code_guard.page_of(t->probe->pc() + t->probe->patch_size() - 1));
  }
  if (pages.empty() && mm.code_guard.empty()) return Status::Ok();
  Tracee* t = InjectorIn(mm);
  if (!t) return Status::Ok();  // nobody to run it; the next call will
  return KeepingSiginfo(*t, [&] {
    return mm.code_guard.Sync(*t, mm.patcher.syscall_insn(), pages, /*by_step=*/true);
  });
}

Expected<bool> ReplayCodeGuard::InWritableMemory(AddressSpace& mm, uint64_t addr) {
  Tracee* t = s_.TaskIn(mm);
  if (!t) return false;
  return mm.code_guard.Writable(*t, addr);
}

Expected<std::optional<Stop>> ReplayCodeGuard::OnFault(bool step) {
  using Result = std::optional<Stop>;
  AddressSpace& mm = *cur().mm;
  if (mm.code_guard.empty()) return Result();
  ASSIGN_OR_RETURN(std::vector<uint8_t> info, tracee().GetSiginfo());
  arch::SiginfoView fault(info);
  if (!mm.code_guard.IsOurFault(fault.addr(), fault.code())) return Result();
  mm.code_guard.CountFault();
  if (getenv("REWIND_DEBUG_PROBES")) {
    fprintf(stderr, "rewind: guard fault at %s by thread %d (event %llu)\n",
            Hex(fault.addr()).c_str(), cur().tid, static_cast<unsigned long long>(event_number()));
  }
  const uint64_t page = mm.code_guard.page_of(fault.addr());
  const uint64_t page_size = mm.code_guard.page_size();
  // A probe's patch there gives way to a breakpoint, as for a debugger's
  // stop in its trampoline; its thread installs it again, over the new
  // bytes, when it next continues.
  for (const auto& t : s_.threads_) {
    if (t->mm.get() != &mm || !t->probe || !t->probe->installed()) continue;
    const uint64_t pc = t->probe->pc();
    if (pc >= page + page_size || pc + t->probe->patch_size() <= page) continue;
    RETURN_IF_ERROR(s_.signals_.ProbeGivesWay(*t));
  }
  // Off the page while the program writes it: a write over a breakpoint
  // must change the program's bytes, not ours.
  std::vector<uint64_t> lifted = mm.breakpoints.In(page, page_size);
  for (uint64_t addr : lifted) RETURN_IF_ERROR(mm.breakpoints.Unplant(&tracee(), addr));
  RETURN_IF_ERROR(mm.code_guard.Release(tracee(), patcher().syscall_insn(), page, true));
  ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
  const uint64_t pc = arch().Pc(regs);
  WaitStatus ws;
  for (int steps = 0; steps < kMaxRepeatSteps; ++steps) {
    RETURN_IF_ERROR(tracee().Resume(ResumeMode::kSingleStep));
    ASSIGN_OR_RETURN(ws, tracee().Wait());
    if (ws.kind != WaitStatus::Kind::kSignalStop || ws.signo != SIGTRAP) break;
    ASSIGN_OR_RETURN(regs, tracee().GetRegisters());
    if (arch().Pc(regs) != pc) break;
  }
  if (ws.is_exit()) {
    ASSIGN_OR_RETURN(Stop ended, s_.lifecycle_.OnExit(ws));
    return Result(ended);
  }
  if (ws.kind != WaitStatus::Kind::kSignalStop) {
    return Status(ErrorCode::kUnsupported,
                  "single-stepping the program's write to its code at " +
                      Hex(fault.addr()) + " ended in " + ws.ToString());
  }
  // The planted instructions again, over whatever the program wrote.
  for (uint64_t addr : lifted) RETURN_IF_ERROR(mm.breakpoints.Plant(tracee(), addr));
  RETURN_IF_ERROR(Protect(mm));
  if (ws.signo == SIGSEGV) return Result();  // the program's own fault, at its delivery stop
  if (ws.signo != SIGTRAP) {
    // A signal the replay had queued came first; the write runs again after it.
    ASSIGN_OR_RETURN(Stop other, s_.signals_.OnSignalStop(ws.signo, step));
    return Result(other);
  }
  return Result(step ? Stop(MakeStop(ReplayStop::Kind::kStep)) : Stop());
}

Status ReplayCodeGuard::BeforeMappingChange(uint64_t start, uint64_t end) {
  AddressSpace& mm = *cur().mm;
  if (start < end && mm.probe_pages.Overlaps(start, end)) {
    // The recording mapped there; replay had put trampolines in what was a
    // hole then. Their probes give way to breakpoints, and are installed
    // again elsewhere.
    for (const auto& t : s_.threads_) {
      if (t->mm.get() != &mm || !t->probe || !t->probe->installed()) continue;
      const uint64_t trap = t->probe->trap_pc();
      for (const ProbePages::Area& area : mm.probe_pages.areas()) {
        bool gone = area.start < end && start < area.end;
        if (gone && trap >= area.start && trap < area.end) {
          RETURN_IF_ERROR(s_.signals_.ProbeGivesWay(*t));
          break;
        }
      }
    }
    ProbeStub* position = s_.probes_.stub();
    if (position && position->installed() && InFocus(cur()) && position->trap_pc() >= start &&
        position->trap_pc() < end) {
      return Status(ErrorCode::kUnsupported,
                    "the program maps over the trampoline of rewind's position probe at " +
                        Hex(position->pc()) + "; go there from an earlier point");
    }
    mm.probe_pages.Forget(start, end);
  }
  return mm.code_guard.ReleaseRange(tracee(), patcher().syscall_insn(), start, end,
                                    /*by_step=*/false);
}

Status ReplayCodeGuard::AfterMappingChange(uint64_t start, uint64_t end) {
  cur().mm->code_guard.Forget(start, end);
  return Protect(*cur().mm);
}

Status ReplayCodeGuard::ReleaseIn(const AddressSpace& mm, Tracee& copy) {
  if (mm.code_guard.empty()) return Status::Ok();
  return KeepingSiginfo(copy, [&] {
    return mm.code_guard.ReleaseIn(copy, mm.patcher.syscall_insn(), /*by_step=*/true);
  });
}

}  // namespace rwd::replayer
