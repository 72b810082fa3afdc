// SignalReplayer: signals, trapped instructions, preemptions and the stops
// a resumed thread reports through SIGTRAP.
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>

#include "arch/siginfo_view.h"
#include "base/hex.h"
#include "base/signal_name.h"
#include "preload/syscallbuf_abi.h"
#include "core/memory_hash.h"
#include "core/proc_maps.h"
#include "core/stack_hash.h"
#include "replayer/replay_session.h"
#include "trace/event_format.h"

namespace rwd::replayer {

namespace {

// Breakpoint hits (~4 us each) spent looking for a fingerprinted point
// before giving up with a clear error rather than appearing to hang.
constexpr uint64_t kMaxFingerprintHits = 100000;
// Events read ahead for a preempted thread's next one: a preempted thread
// is ready to run and gets its turn within a few others' time slices.
constexpr uint64_t kPreemptLookahead = 4096;

using Stop = std::optional<ReplayStop>;

// At a watchpoint trap taken before the access (AArch64): executes the
// accessing instruction with the watchpoints off, then arms them again.
Status StepOverWatchedAccess(const Tracee& tracee, const std::vector<arch::HwWatch>& watches) {
  const arch::Arch& a = tracee.arch();
  RETURN_IF_ERROR(a.host().SetHwWatchpoints(tracee.tid(), {}).Wrap("disarming the watchpoints"));
  RETURN_IF_ERROR(tracee.Resume(ResumeMode::kSingleStep));
  ASSIGN_OR_RETURN(WaitStatus ws, tracee.Wait());
  RETURN_IF_ERROR(
      a.host().SetHwWatchpoints(tracee.tid(), watches).Wrap("re-arming the watchpoints"));
  if (ws.kind != WaitStatus::Kind::kSignalStop || ws.signo != SIGTRAP) {
    return Status(ErrorCode::kUnsupported,
                  "stepping over a watched access ended in " + ws.ToString() +
                      " instead of a step; the watchpoint cannot be reported");
  }
  return Status::Ok();
}

// The point a fingerprinted event names: registers (arch NT_PRSTATUS layout)
// and the stack hash. nullopt for events without one.
struct Fingerprint {
  arch::Registers regs;
  uint64_t stack_hash = 0;
  const std::vector<uint8_t>* vector_registers = nullptr;  // empty: not compared
  bool hashes_globals = true;
  const std::vector<uint8_t>* stack_window = nullptr;
  std::optional<ProbeMemCheck> word;
  bool preempt = false;
  int signo = 0;
  uint64_t pass_count = 0;   // trace::SignalEvent::pass_count
  uint64_t memory_hash = 0;  // trace::SignalEvent::memory_hash
  const std::vector<uint8_t>* memory_pages = nullptr;
};

std::optional<Fingerprint> FingerprintOf(const trace::Event& ev) {
  const std::vector<uint8_t>* bytes = nullptr;
  Fingerprint f;
  if (auto* sig = std::get_if<trace::SignalEvent>(&ev.body)) {
    if (sig->synchronous || sig->fingerprint.empty()) return std::nullopt;
    bytes = &sig->fingerprint;
    f.stack_hash = sig->stack_hash;
    f.vector_registers = &sig->vector_registers;
    f.hashes_globals = sig->hashes_globals;
    f.stack_window = &sig->stack_window;
    f.signo = sig->signo;
    f.pass_count = sig->pass_count;
    f.memory_hash = sig->memory_hash;
    f.memory_pages = &sig->memory_pages;
    if (sig->has_stack_word) f.word = ProbeMemCheck{sig->stack_word_offset, sig->stack_word};
  } else if (auto* p = std::get_if<trace::PreemptEvent>(&ev.body)) {
    bytes = &p->fingerprint;
    f.stack_hash = p->stack_hash;
    f.vector_registers = &p->vector_registers;
    f.hashes_globals = p->hashes_globals;
    f.stack_window = &p->stack_window;
    f.preempt = true;
    if (p->has_stack_word) f.word = ProbeMemCheck{p->stack_word_offset, p->stack_word};
  } else {
    return std::nullopt;
  }
  std::memcpy(f.regs.data(), bytes->data(),
              std::min(bytes->size(), arch::Registers::capacity_bytes()));
  return f;
}

// Whether the thread's vector registers are those the fingerprint recorded
// (when it could record them).
bool SameVectorRegisters(const Tracee& tracee, const Fingerprint& f) {
  return f.vector_registers->empty() || FingerprintVectorRegisters(tracee) == *f.vector_registers;
}

}  // namespace

Expected<bool> SignalReplayer::SameWritableMemory(ReplayTask& t, uint64_t recorded,
                                                  const std::vector<uint8_t>* recorded_pages) {
  if (recorded == 0) return true;
  std::vector<PageHash> pages;
  if (recorded_pages && !recorded_pages->empty()) {
    pages = DecodePageHashes(*recorded_pages);
    // The loop's passes differ in a few pages (its counters): while one of
    // those that differed at the previous check still differs, this is not
    // the point, and checking them costs microseconds, not a full read.
    if (t.memory_check_event == event_number()) {
      for (size_t i : t.differing_pages) {
        if (i < pages.size() && PageContentHash(t.tracee, pages[i].addr) != pages[i].hash) {
          return false;
        }
      }
    }
  }
  // The recording had no page-protection watchpoints nor code guards.
  ProgramProtections program_prots;
  if (InFocus(t)) program_prots = s_.watch_.page_watch().ChangedPages();
  program_prots.insert(t.mm->code_guard.guarded().begin(), t.mm->code_guard.guarded().end());
  // The syscall buffers: what each side wrote there since.
  OwnRanges own{{RWD_SB_PAGE, RWD_SB_END}};
  for (const ProbePages::Area& a : t.mm->probe_pages.areas()) own.emplace_back(a.start, a.end);
  // Replay maps the trace's copy of the library: named by the path the
  // recording saw.
  auto library = [&](const std::string& path) {
    auto is_library = [](const std::string& p) { return p.ends_with("/" RWD_SB_LIBRARY_NAME); };
    if (is_library(path)) return true;
    return std::any_of(t.mm->mapped_files.begin(), t.mm->mapped_files.end(),
                       [&](const auto& f) { return f.second == path && is_library(f.first); });
  };
  std::vector<PageHash> now = WritableMemoryPages(t.tracee, own, library, &program_prots);
  if (CombinedHash(now) == recorded) return true;
  if (!pages.empty()) {
    t.memory_check_event = event_number();
    t.differing_pages.clear();
    for (size_t i = 0; i < pages.size(); ++i) {
      if (i >= now.size() || !(now[i] == pages[i])) t.differing_pages.push_back(i);
    }
  }
  return false;
}

Status SignalReplayer::InjectPendingAsyncSignal(bool stepping) {
  ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
  if (!ev || ev->tid != cur().tid || cur().signal_queued) return Status::Ok();
  // A signal this resume delivers: its handler runs first, and the next
  // event's point may lie in it or after it (the recorder stopped the thread
  // there), so that point is armed now too; the thread must not move before
  // the delivery.
  bool delivering = cur().pending_signal != 0;
  if (std::optional<Fingerprint> f = FingerprintOf(*ev)) {
    // Delivered (or preempted) where the recorder stopped the thread: wait
    // for that state.
    if (cur().probe) return Status::Ok();
    if (cur().fingerprint_breakpoint) {
      // One armed for a step would trap on every pass of a loop from here.
      if (stepping || !cur().fingerprint_breakpoint_for_step) return Status::Ok();
      RETURN_IF_ERROR(DisarmFingerprint(cur()));
    }
    uint64_t pc = arch().Pc(f->regs);
    // In code the program writes (a JIT's), a guard keeps the probe or
    // breakpoint there while the program rewrites the page.
    ASSIGN_OR_RETURN(bool writable, s_.code_guard_.InWritableMemory(*cur().mm, pc));
    if (!stepping && f->pass_count != 0 && cur().resumed_before_event != event_number()) {
      // Named by its pass: count the arrivals from the previous event on,
      // before the thread runs (recorder/pass_counter.h).
      Expected<ProbeStub> probe = InstallCountdown(cur(), pc, f->pass_count);
      if (probe.ok()) {
        cur().probe = std::move(*probe);
        cur().probe_counts_passes = true;
        if (writable) RETURN_IF_ERROR(s_.code_guard_.Protect(*cur().mm));
        return Status::Ok();
      }
      if (getenv("REWIND_DEBUG_PROBES")) {
        fprintf(stderr, "rewind: no counting probe at %s: %s\n", Hex(pc).c_str(),
                probe.status().message().c_str());
      }
    }
    if (!stepping) {
      // A thread inside the bytes the probe displaces (e.g. where the
      // previous signal's handler returned to) goes on from their copy; not
      // while a signal is delivered, whose frame would show the copy's pc.
      Expected<ProbeStub> probe =
          InstallProbe(cur(), pc, f->regs, f->word, *f->vector_registers, !delivering);
      if (probe.ok()) {
        cur().probe = std::move(*probe);
        if (writable) RETURN_IF_ERROR(s_.code_guard_.Protect(*cur().mm));
        return Status::Ok();
      }
      if (getenv("REWIND_DEBUG_PROBES")) {
        fprintf(stderr, "rewind: no probe at %s: %s\n", Hex(pc).c_str(),
                probe.status().message().c_str());
      }
    }
    RETURN_IF_ERROR(s_.breakpoints_.Plant(*cur().mm, pc));
    cur().fingerprint_breakpoint = pc;
    cur().fingerprint_breakpoint_for_step = stepping;
    if (writable) RETURN_IF_ERROR(s_.code_guard_.Protect(*cur().mm));
    return Status::Ok();
  }
  auto* sig = std::get_if<trace::SignalEvent>(&ev->body);
  // A second signal sent now would be delivered on top of the first, before
  // its handler runs; it is sent on the resume after.
  if (!sig || sig->synchronous || delivering) return Status::Ok();
  // Queue it now; the resume below turns it into a signal-delivery-stop,
  // where the recorded siginfo replaces ours.
  if (syscall(SYS_tkill, tracee().tid(), sig->signo) != 0) {
    return ErrnoError("sending the recorded " + SignalName(sig->signo));
  }
  cur().signal_queued = true;
  return Status::Ok();
}

Expected<bool> SignalReplayer::ReachedFingerprint(const arch::Registers& regs, bool* preempted) {
  *preempted = false;
  ReplayTask& t = cur();
  if (!t.fingerprint_breakpoint && !t.probe) return false;
  ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
  std::optional<Fingerprint> f = ev && ev->tid == t.tid ? FingerprintOf(*ev) : std::nullopt;
  if (!f) return false;
  // A loop whose state lives on the heap repeats its registers and stack
  // between buffered calls: the recorded point is after the whole batch.
  ASSIGN_OR_RETURN(bool batch_used_up, s_.syscallbuf_.BatchUsedUp());
  if (t.probe_counts_passes) {
    // Only the counted arrival is the point; others (a step out of the
    // trampoline onto the site) are not.
    if (!t.probe || !t.probe->installed() || arch().Pc(regs) != t.probe->pc()) return false;
    ASSIGN_OR_RETURN(uint64_t left, t.probe->Passes(tracee()));
    if (left != 0) return false;
    if (!batch_used_up || !arch().SameProgramState(regs, f->regs) ||
        !SameVectorRegisters(tracee(), *f)) {
      return Diverged("the recorded " + SignalName(f->signo) + " came at arrival " +
                      std::to_string(f->pass_count) + " at " + Hex(arch().Pc(f->regs)) +
                      " since the thread's previous event; replay arrived there with other "
                      "registers");
    }
    ASSIGN_OR_RETURN(bool same_memory, SameWritableMemory(t, f->memory_hash, nullptr));
    if (!same_memory) {
      return Diverged("the recorded " + SignalName(f->signo) + " came at arrival " +
                      std::to_string(f->pass_count) + " at " + Hex(arch().Pc(f->regs)) +
                      " since the thread's previous event; replay arrived there with the "
                      "recorded registers but other memory (an earlier signal was placed on "
                      "another pass)");
    }
    t.fingerprint_misses = 0;
    RETURN_IF_ERROR(DisarmFingerprint(t));
    if (syscall(SYS_tkill, tracee().tid(), f->signo) != 0) {
      return ErrnoError("sending the recorded " + SignalName(f->signo));
    }
    t.signal_queued = true;
    return true;
  }
  if (!batch_used_up) return false;
  // Not byte for byte: the recorder read them at a SIGSTOP, replay at a
  // breakpoint or a single-step, and some architectures tell those apart in
  // the registers (AArch64 PSTATE.SS; see Arch::ClearStopArtifacts).
  // The recording had no page-protection watchpoints.
  ProgramProtections watched_pages;
  if (f->hashes_globals && InFocus(t)) watched_pages = s_.watch_.page_watch().ChangedPages();
  if (f->hashes_globals) watched_pages.insert(t.mm->code_guard.guarded().begin(),
                                              t.mm->code_guard.guarded().end());
  if (!arch().SameProgramState(regs, f->regs) ||
      StackHash(tracee(), regs, f->hashes_globals, &watched_pages) != f->stack_hash ||
      !SameVectorRegisters(tracee(), *f)) {
    if (getenv("REWIND_DEBUG_PROBES")) {
      std::string differs;
      if (f->stack_window) {
        std::vector<uint8_t> now = FingerprintStackWindow(tracee(), regs);
        for (size_t at = 0; at + 8 <= std::min(now.size(), f->stack_window->size()); at += 8) {
          if (!std::equal(now.begin() + at, now.begin() + at + 8, f->stack_window->begin() + at)) {
            uint64_t recorded = 0, here = 0;
            std::memcpy(&recorded, f->stack_window->data() + at, 8);
            std::memcpy(&here, now.data() + at, 8);
            differs += " sp" + std::to_string(static_cast<int>(at) - kVaryingStackBelowSp) + " (" +
                       Hex(recorded) + " recorded, " + Hex(here) + " here)";
          }
        }
      }
      fprintf(stderr,
              "rewind: fingerprint miss at %s (stack word %s, globals %s, vector registers %s; "
              "words differ:%s)\n",
              Hex(arch().Pc(regs)).c_str(), f->word ? "yes" : "no",
              f->hashes_globals ? "hashed" : "not hashed",
              SameVectorRegisters(tracee(), *f) ? "match" : "differ", differs.c_str());
    }
    bool at_site = (t.fingerprint_breakpoint && arch().Pc(regs) == *t.fingerprint_breakpoint) ||
                   (t.probe && arch().Pc(regs) == t.probe->pc());
    if (at_site && t.probe && !f->word && f->stack_window && !f->stack_window->empty()) {
      RETURN_IF_ERROR(NarrowProbe(t, f->regs, *f->vector_registers, *f->stack_window, regs));
    }
    if (at_site && ++t.fingerprint_misses > kMaxFingerprintHits) {
      std::string what = f->preempt ? "preemption" : SignalName(f->signo);
      return Status(ErrorCode::kUnsupported,
                    "cannot place the recorded " + what + " of thread " + std::to_string(t.tid) +
                        " (event " + std::to_string(event_number()) +
                        "): it happened deep inside a loop without syscalls whose registers "
                        "and stack repeat on every pass, so the point cannot be told apart "
                        "from the passes before it");
    }
    return false;
  }
  // Registers, stack and globals repeat on every pass of a loop that keeps
  // its state in anonymous memory (an interpreter's): only the rest of the
  // memory tells the recorded pass from the others.
  ASSIGN_OR_RETURN(bool same_memory, SameWritableMemory(t, f->memory_hash, f->memory_pages));
  if (!same_memory) {
    if (getenv("REWIND_DEBUG_PROBES")) {
      fprintf(stderr, "rewind: fingerprint miss at %s (writable memory differs)\n",
              Hex(arch().Pc(regs)).c_str());
    }
    if (++t.fingerprint_misses > kMaxFingerprintHits) {
      return Status(ErrorCode::kUnsupported,
                    "cannot place the recorded " + SignalName(f->signo) + " of thread " +
                        std::to_string(t.tid) + " (event " + std::to_string(event_number()) +
                        "): no pass of the loop has the recorded memory");
    }
    return false;
  }
  t.fingerprint_misses = 0;
  RETURN_IF_ERROR(DisarmFingerprint(t));
  if (f->preempt) {
    // The thread stops running here until its next event; others go on.
    ConsumeEvent();
    *preempted = true;
    return true;
  }
  if (syscall(SYS_tkill, tracee().tid(), f->signo) != 0) {
    return ErrnoError("sending the recorded " + SignalName(f->signo));
  }
  t.signal_queued = true;
  return true;
}

Expected<Stop> SignalReplayer::OnSignalStop(int signo, bool step) {
  const arch::Arch& a = arch();
  ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
  uint64_t pc = a.Pc(regs);
  if (signo == SIGSTOP && s_.interrupt_sent_) {
    s_.interrupt_sent_ = false;
    // The debugger must not see a trampoline's address.
    RETURN_IF_ERROR(LeaveTrampoline(regs));
    return Stop(MakeStop(ReplayStop::Kind::kInterrupted));
  }

  if (signo == SIGTRAP) {
    if (std::optional<int> hit = a.host().TakeHwWatchpointHit(tracee().tid())) {
      ReplayStop stop = MakeStop(ReplayStop::Kind::kWatchpoint);
      stop.watch_index = *hit;
      if (*hit >= 0 && static_cast<size_t>(*hit) < s_.watch_.watches().size()) {
        stop.addr = s_.watch_.watches()[*hit].addr;
      }
      // Watchpoints are reported after the access on every architecture.
      if (a.WatchpointTrapsBeforeAccess()) {
        RETURN_IF_ERROR(StepOverWatchedAccess(tracee(), s_.watch_.watches()));
      }
      return Stop(stop);
    }
    if (s_.probes_.stub() && s_.probes_.stub()->installed() && !step && InFocus(cur())) {
      ASSIGN_OR_RETURN(bool hit, s_.probes_.stub()->TakeHit(tracee(), regs));
      if (hit) return s_.probes_.OnPositionProbeHit(regs);
    }
    if (cur().probe && !step) {
      ASSIGN_OR_RETURN(bool hit, cur().probe->TakeHit(tracee(), regs));
      if (hit) {
        bool preempted = false;
        ASSIGN_OR_RETURN(bool reached, ReachedFingerprint(regs, &preempted));
        if (preempted) return AfterEvent(false);
        if (reached) return Stop();  // the delivery stop follows at once
        // The registers matched, the stack did not: go on past the site.
        a.SetPc(regs, cur().probe->bypass_pc());
        RETURN_IF_ERROR(tracee().SetRegisters(regs));
        return Stop();
      }
    }
    uint64_t site = pc - a.BreakpointTrapPcOffset();
    if (!step && cur().mm->breakpoints.MovedFrom(site)) {
      // A breakpoint on a probe's copy of its instruction: the thread is
      // as it would be at the breakpoint's address, and goes there.
      ASSIGN_OR_RETURN(bool left, LeaveProbeCopy(regs, site));
      if (left) site = a.Pc(regs);
    }
    // A single-step's trap can land just after a breakpoint address (a
    // one-byte instruction there); only a resumed thread hits breakpoints.
    if (!step && !patcher().TrapSiteAt(site) && cur().mm->breakpoints.Contains(site)) {
      a.SetPc(regs, site);
      RETURN_IF_ERROR(tracee().SetRegisters(regs));
      if (cur().fingerprint_breakpoint == site) {
        bool preempted = false;
        ASSIGN_OR_RETURN(bool reached, ReachedFingerprint(regs, &preempted));
        if (preempted) return AfterEvent(false);
        if (reached) return Stop();  // the delivery stop follows at once
      }
      cur().reported_breakpoint = site;
      if (!s_.breakpoints_.IsDebuggerBreakpoint(cur(), site)) return Stop();  // ours: step over it
      ReplayStop stop = MakeStop(ReplayStop::Kind::kBreakpoint);
      stop.addr = site;
      return Stop(stop);
    }
  }

  if (signo == SIGSEGV) {
    ASSIGN_OR_RETURN(std::optional<Stop> guarded, s_.code_guard_.OnFault(step));
    if (guarded) return *guarded;
  }
  if (signo == SIGSEGV && s_.watch_.page_watch().armed() && InFocus(cur())) {
    ASSIGN_OR_RETURN(std::optional<Stop> watched, s_.watch_.OnPageWatchFault(step));
    if (watched) return *watched;
    // Not a watched page's fault, or the program's own there.
  }

  // rdtsc/cpuid faults and patched rdrand sites: apply the recorded values.
  arch::TrapInsn insn;
  uint64_t insn_pc = pc;
  if (signo == SIGSEGV) {
    uint8_t code[16] = {};
    ASSIGN_OR_RETURN(size_t n, tracee().ReadMemoryPartial(pc, code));
    insn = a.DecodeTrapInsn(std::span<const uint8_t>(code, n));
    if (insn.kind == arch::TrapInsnKind::kRdrand || insn.kind == arch::TrapInsnKind::kRdseed) {
      insn = arch::TrapInsn();  // those never fault by themselves
    }
  } else if (signo == SIGTRAP && (!step || cur().step_from_pc == pc - a.BreakpointTrapPcOffset())) {
    uint64_t site = pc - a.BreakpointTrapPcOffset();
    if (auto patched = patcher().TrapSiteAt(site)) {
      insn = *patched;
      insn_pc = site;
    }
  }
  ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
  if (insn.kind != arch::TrapInsnKind::kNone) {
    auto* trap = ev ? std::get_if<trace::InsnTrapEvent>(&ev->body) : nullptr;
    bool trap_is_next =
        trap && ev->tid == cur().tid && trap->kind == insn.kind && trap->pc == insn_pc;
    if (!trap_is_next && cur().fingerprint_breakpoint == insn_pc) {
      // The recorder stopped the thread right before this instruction (its
      // walk to a probe site ends before trapped ones): the point may be
      // here, with the instruction still to run.
      a.SetPc(regs, insn_pc);
      RETURN_IF_ERROR(tracee().SetRegisters(regs));
      bool preempted = false;
      ASSIGN_OR_RETURN(bool reached, ReachedFingerprint(regs, &preempted));
      if (preempted) return AfterEvent(false);
      if (reached) return Stop();  // the delivery stop follows at once
    }
    if (!trap_is_next) {
      return Diverged(std::string("expected ") + (ev ? trace::DescribeEvent(a, *ev) : "the end") +
                      ", saw thread " + std::to_string(cur().tid) + " " +
                      trace::TrapInsnName(insn.kind) + " at pc " + Hex(insn_pc));
    }
    a.SetPc(regs, insn_pc);
    a.ApplyTrapInsn(regs, insn, trap->values);
    RETURN_IF_ERROR(tracee().SetRegisters(regs));
    ConsumeEvent();
    return AfterEvent(step);
  }

  if (signo == SIGTRAP && step) {
    bool preempted = false;
    ASSIGN_OR_RETURN(bool reached, ReachedFingerprint(regs, &preempted));
    (void)reached;  // a queued signal is delivered by the next resume
    return Stop(MakeStop(ReplayStop::Kind::kStep));
  }

  if (!cur().signal_queued) {
    // Replay delivers only recorded signals, and sends the asynchronous ones
    // itself. One it did not send comes from the replay's own kernel
    // objects (a child's exit, a timer) and never reaches the program.
    auto siginfo = tracee().GetSiginfo();
    if (!siginfo.ok() || !arch::SiginfoView(*siginfo).IsSynchronousFault(signo)) return Stop();
  }
  auto* sig = ev ? std::get_if<trace::SignalEvent>(&ev->body) : nullptr;
  if (!sig || ev->tid != cur().tid || sig->signo != signo) {
    return Diverged(std::string("expected ") + (ev ? trace::DescribeEvent(a, *ev) : "the end") +
                    ", saw thread " + std::to_string(cur().tid) + " get " + SignalName(signo) +
                    " at pc " + Hex(pc));
  }
  if (!sig->synchronous) RETURN_IF_ERROR(tracee().SetSiginfo(sig->siginfo));
  cur().signal_queued = false;
  s_.last_signal_ = *sig;
  ConsumeEvent();
  // The recording delivered it, so replay must too, whatever the debugger
  // does with the stop.
  cur().pending_signal = signo;
  cur().pending_async = !sig->synchronous;
  if (!InFocus(cur())) return AfterEvent(step);
  ReplayStop stop = MakeStop(ReplayStop::Kind::kSignal);
  stop.signo = signo;
  stop.addr = pc;
  return Stop(stop);
}

Expected<bool> SignalReplayer::PreemptionPointObservable(const ReplayTask& t) const {
  if (InFocus(t) || t.pending_signal != 0 || t.signal_queued) return true;
  for (const auto& other : s_.threads_) {
    if (other.get() != &t && other->mm == t.mm && !other->reaped && !other->zombie) return true;
  }
  Expected<std::vector<MemoryMapping>> maps = ReadMappings(t.tracee.tid());
  if (!maps.ok()) return true;
  if (std::any_of(maps->begin(), maps->end(),
                  [](const MemoryMapping& m) { return m.shared && (m.prot & PROT_WRITE) != 0; })) {
    return true;
  }
  // A signal that reached the thread while it was switched away is
  // delivered as soon as it runs again, where the preemption left it, and
  // the recorder gave it no fingerprint of its own: replay sends it where
  // the thread stands, which must be that point (after the buffered calls
  // the thread made before it, too, or the handler runs before them).
  ASSIGN_OR_RETURN(std::optional<trace::Event> next,
                   s_.events_.NextOfThread(t.tid, kPreemptLookahead));
  const auto* signal = next ? std::get_if<trace::SignalEvent>(&next->body) : nullptr;
  return signal && !signal->synchronous && signal->fingerprint.empty();
}

}  // namespace rwd::replayer
