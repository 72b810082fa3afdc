// SignalRecorder: signals, trapped instructions and preemption.
#include <signal.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>

#include "arch/siginfo_view.h"
#include "core/memory_hash.h"
#include "core/probe_stub.h"
#include "core/signal_handler_entry.h"
#include "core/stack_hash.h"
#include "preload/syscallbuf_abi.h"
#include "recorder/record_session.h"

namespace rwd::recorder {

namespace {

// How long an asynchronous signal may wait for the thread's next syscall
// before the recorder stops the thread and places the signal by fingerprint.
constexpr auto kSignalDelay = std::chrono::milliseconds(20);

// How far the recorder walks a stopped thread to a point replay can find
// with an in-process probe (~20 us a step).
constexpr int kMaxStepsToProbeSite = 400;
// Steps spent looking for a site whose registers differ between loop
// iterations before settling for any probe site.
constexpr int kStepsForDistinctSite = 300;
// Signals one step may be interrupted by before the walk counts it as done.
constexpr int kMaxStepRetries = 16;

bool IsStopSignal(int signo) {
  return signo == SIGSTOP || signo == SIGTSTP || signo == SIGTTIN || signo == SIGTTOU;
}

bool IsTimeStampOrCpuid(arch::TrapInsnKind kind) {
  return kind == arch::TrapInsnKind::kRdtsc || kind == arch::TrapInsnKind::kRdtscp ||
         kind == arch::TrapInsnKind::kCpuid;
}

// Fills the fingerprint of a SignalEvent or PreemptEvent: where replay
// must find the thread again.
template <typename Event>
void Fingerprint(const Tracee& tracee, const arch::Registers& regs,
                 const std::optional<ProbeMemCheck>& word, bool hash_globals, Event* event) {
  event->fingerprint.assign(regs.data(), regs.data() + tracee.arch().gp_regs_size());
  event->stack_hash = StackHash(tracee, regs, hash_globals);
  event->hashes_globals = hash_globals;
  event->stack_window = FingerprintStackWindow(tracee, regs);
  event->vector_registers = FingerprintVectorRegisters(tracee);
  if (word) {
    event->has_stack_word = true;
    event->stack_word_offset = word->sp_offset;
    event->stack_word = word->value;
  }
}

}  // namespace

Expected<bool> SignalRecorder::EmulateTrapInsn(RecordTask& task, int signo, arch::Registers& regs) {
  const arch::Arch& arch = task.tracee.arch();
  uint64_t pc = arch.Pc(regs);
  arch::TrapInsn insn;
  if (signo == SIGSEGV) {
    uint8_t code[16] = {};
    ASSIGN_OR_RETURN(size_t n, task.tracee.ReadMemoryPartial(pc, code));
    insn = arch.DecodeTrapInsn(std::span<const uint8_t>(code, n));
    if (!IsTimeStampOrCpuid(insn.kind)) return false;
  } else if (signo == SIGTRAP) {
    uint64_t site = pc - arch.BreakpointTrapPcOffset();
    std::optional<arch::TrapInsn> patched = ProcessOf(task).patcher.TrapSiteAt(site);
    if (!patched) return false;
    insn = *patched;
    pc = site;
    arch.SetPc(regs, pc);
  } else {
    return false;
  }
  trace::InsnTrapEvent event;
  event.kind = insn.kind;
  event.pc = pc;
  event.values = arch.host().ExecuteTrapInsn(regs, insn, s_.cpuid_mask_);
  arch.ApplyTrapInsn(regs, insn, event.values);
  RETURN_IF_ERROR(task.tracee.SetRegisters(regs));
  RETURN_IF_ERROR(Append(task, std::move(event)));
  task.boundary_regs = regs;
  task.boundary_memory.reset();
  return true;
}

int SignalRecorder::TakeDeferredSignal(RecordTask& task, const PendingSyscall& pending) {
  if (task.deferred.empty() || task.reinjected) return 0;
  // Resuming a syscall-entry stop with a signal queues it before the
  // syscall runs: a blocking call returns early, as it would have, and the
  // delivery follows the syscall's exit, a point replay reaches exactly.
  task.reinjected = std::move(task.deferred.front());
  task.deferred.erase(task.deferred.begin());
  // A handler's own return says nothing about whether the program computes.
  if (pending.info->special != arch::Special::kRtSigreturn) task.computing = false;
  if (!task.deferred.empty()) SetDeferDeadline(task);
  return task.reinjected->signo;
}

void SignalRecorder::Defer(RecordTask& task, int signo, const std::vector<uint8_t>& siginfo) {
  if (signo < SIGRTMIN) {
    for (const DeferredSignal& d : task.deferred) {
      if (d.signo == signo) return;
    }
  }
  if (task.deferred.empty()) SetDeferDeadline(task);
  task.deferred.push_back(DeferredSignal{signo, siginfo});
}

void SignalRecorder::SetDeferDeadline(RecordTask& task) {
  task.defer_deadline =
      CoarseNow() + (task.computing ? std::chrono::milliseconds(0) : kSignalDelay);
}

Status SignalRecorder::RecordSignal(RecordTask& task, int signo,
                                    const std::vector<uint8_t>& siginfo,
                                    const arch::Registers& regs, bool with_fingerprint,
                                    const std::optional<ProbeMemCheck>& word,
                                    uint64_t pass_count) {
  trace::SignalEvent event;
  event.pass_count = pass_count;
  event.signo = signo;
  event.siginfo = siginfo;
  event.pc = task.tracee.arch().Pc(regs);
  event.synchronous = arch::SiginfoView(siginfo).IsSynchronousFault(signo);
  if (with_fingerprint) {
    Fingerprint(task.tracee, regs, word, !SyscallInFlightBeside(task), &event);
    // Only a thread alone in its process: no other thread's stack or
    // in-flight syscall changes memory between here and replay's check.
    const bool alone = std::count_if(s_.tasks_.begin(), s_.tasks_.end(), [&](const auto& t) {
                         return t->tgid == task.tgid;
                       }) == 1;
    if (alone && event.hashes_globals) {
      // The syscall buffers: what each side wrote there since.
      OwnRanges own{{RWD_SB_PAGE, RWD_SB_END}};
      for (const ProbePages::Area& a : ProcessOf(task).probe_pages.areas()) {
        own.emplace_back(a.start, a.end);
      }
      std::vector<PageHash> pages =
          WritableMemoryPages(task.tracee, own, [](const std::string& path) {
            return path.ends_with("/" RWD_SB_LIBRARY_NAME);
          });
      event.memory_hash = CombinedHash(pages);
      // Found by search, not by counting: replay compares page by page.
      if (pass_count == 0) event.memory_pages = EncodePageHashes(pages);
    }
  }
  return Append(task, std::move(event));
}

Status SignalRecorder::StepOnce(RecordTask& task) {
  // A signal may stop the thread instead of the step (a 1 ms timer does,
  // often): hold it back like any other and step again. Counted as a visit,
  // the unmoved thread would look like a loop whose registers never change.
  for (int tries = 0; tries < kMaxStepRetries; ++tries) {
    RETURN_IF_ERROR(task.tracee.Resume(ResumeMode::kSingleStep));
    ASSIGN_OR_RETURN(WaitStatus ws, task.tracee.Wait());
    if (ws.is_exit()) return Status(ErrorCode::kTraceeExited, "the thread died");
    if (ws.kind != WaitStatus::Kind::kSignalStop || ws.signo == SIGTRAP) return Status::Ok();
    auto siginfo = task.tracee.GetSiginfo();
    if (siginfo.ok() && !IsStopSignal(ws.signo)) Defer(task, ws.signo, *siginfo);
  }
  return Status::Ok();
}

Status SignalRecorder::FinishInterruptibleInsn(RecordTask& task, bool* finished) {
  *finished = false;
  const arch::Arch& arch = task.tracee.arch();
  ASSIGN_OR_RETURN(arch::Registers regs, task.tracee.GetRegisters());
  uint64_t pc = arch.Pc(regs);
  uint8_t code[16] = {};
  ASSIGN_OR_RETURN(size_t n, task.tracee.ReadMemoryPartial(pc, code));
  std::optional<size_t> length = arch.InterruptibleInsnLength(std::span<const uint8_t>(code, n));
  if (!length) return Status::Ok();
  // Single-stepping would take one pass per step (a trap per byte of a
  // memcpy): run to a breakpoint after it instead. The other threads of the
  // process are stopped or inside syscalls, so none meets the breakpoint.
  uint64_t after = pc + *length;
  std::span<const uint8_t> bkpt = arch.BreakpointInsn();
  std::vector<uint8_t> original(bkpt.size());
  ASSIGN_OR_RETURN(size_t got, task.tracee.ReadMemoryPartial(after, original));
  if (got != original.size()) return Status::Ok();
  RETURN_IF_ERROR(task.tracee.WriteMemory(after, bkpt));
  Status result = Status::Ok();
  for (int tries = 0; tries < kMaxStepRetries; ++tries) {
    if (result = task.tracee.Resume(ResumeMode::kCont); !result.ok()) break;
    Expected<WaitStatus> ws = task.tracee.Wait();
    if (!ws.ok()) {
      result = ws.status();
      break;
    }
    if (ws->is_exit()) return Status(ErrorCode::kTraceeExited, "the thread died");
    if (ws->kind != WaitStatus::Kind::kSignalStop) break;
    Expected<arch::Registers> now = task.tracee.GetRegisters();
    if (ws->signo == SIGTRAP && now.ok() &&
        arch.Pc(*now) - arch.BreakpointTrapPcOffset() == after) {
      arch.SetPc(*now, after);
      result = task.tracee.SetRegisters(*now);
      *finished = result.ok();
      break;
    }
    auto siginfo = task.tracee.GetSiginfo();
    // A fault inside it (the copy reached an unmapped page) comes back when
    // the thread resumes: drop it here.
    if (!siginfo.ok() || arch::SiginfoView(*siginfo).IsSynchronousFault(ws->signo)) break;
    if (!IsStopSignal(ws->signo)) Defer(task, ws->signo, *siginfo);
  }
  RETURN_IF_ERROR(task.tracee.WriteMemory(after, original));
  return result;
}

Status SignalRecorder::MoveToProbeSite(RecordTask& task, arch::Registers& regs,
                                       std::optional<ProbeMemCheck>* word) {
  word->reset();
  RETURN_IF_ERROR(s_.buffer_.StepOutOfSyscallBuffer(task, regs));
  // A signal may always arrive later, and a preemption happen later: walk
  // the thread to an instruction where replay can plant a probe, so that a
  // point deep in a hot loop costs replay nanoseconds per pass, not a trap.
  // The probe compares registers only, so prefer a site the loop revisits
  // with different registers: one revisited with the same registers (a
  // counter kept in memory) would trap on every pass.
  const arch::Arch& arch = task.tracee.arch();
  // Three visits with pairwise different register values: flags that merely
  // follow a counter kept in memory do not tell passes apart.
  std::map<uint64_t, std::vector<arch::Registers>> visits;
  // Whether a probe fits, per pc: kept per process, a loop revisits few
  // addresses and every signal of a timer walks the same loop.
  std::map<uint64_t, bool>& placeable = ProcessOf(task).probe_sites;
  std::map<uint64_t, int> repeats;
  // The stack at the last revisit of each site, to find a counter kept there.
  std::map<uint64_t, std::vector<uint8_t>> stacks;
  task.spinning = false;
  // Read at the first check: the walk never steps over a syscall, so only
  // a stack growing into its guard gap could change them meanwhile.
  std::optional<std::vector<MemoryMapping>> maps;
  // The check sweeps kilobytes of code around pc (milliseconds): it is made
  // only where the walk would end, and a pc not checked yet is tracked as
  // if a probe fitted. The walk ends where it did when every pc was checked
  // at its first visit.
  auto fits = [&](uint64_t pc) {
    if (ProcessOf(task).probe_pages.InCode(pc)) return false;
    auto known = placeable.find(pc);
    if (known != placeable.end()) return known->second;
    if (!maps) {
      Expected<std::vector<MemoryMapping>> read = ReadMappings(task.tid());
      maps = read.ok() ? std::move(*read) : std::vector<MemoryMapping>();
    }
    bool ok = ProbeStub::CheckSite(task.tracee, pc, *maps).ok();
    placeable.emplace(pc, ok);
    return ok;
  };
  for (int steps = 0; steps < kMaxStepsToProbeSite; ++steps) {
    // The walk may step into a patched syscall site's stub and on into the
    // library, whose paths differ between record and replay: never end it
    // there (the walk out ends at the entry's traced syscall at the latest).
    RETURN_IF_ERROR(s_.buffer_.StepOutOfSyscallBuffer(task, regs));
    // Never stop part-way through a repeating instruction: replay's probe
    // and breakpoints see it only at its start.
    bool finished = false;
    RETURN_IF_ERROR(FinishInterruptibleInsn(task, &finished));
    if (finished) {
      ASSIGN_OR_RETURN(regs, task.tracee.GetRegisters());
    }
    uint64_t pc = arch.Pc(regs);
    auto known = placeable.find(pc);
    if (known == placeable.end() || known->second) {
      std::vector<arch::Registers>& seen = visits[pc];
      bool revisit = !seen.empty();
      bool distinct = std::none_of(seen.begin(), seen.end(), [&](const arch::Registers& r) {
        return arch.SameValues(r, regs);
      });
      if (distinct) seen.push_back(regs);
      if (seen.size() >= 3) {
        if (fits(pc)) return Status::Ok();
      } else if (revisit) {
        // A loop whose registers never change: a spin on a flag, or a
        // counter kept on the stack, which the probe then compares as well.
        std::vector<uint8_t> stack = FingerprintStackWindow(task.tracee, regs);
        if (!distinct && ++repeats[pc] >= 3 && seen.size() == 1) {
          if (fits(pc)) {
            if (std::optional<int32_t> offset = VaryingStackWord(stacks[pc], stack)) {
              uint64_t value = 0;
              size_t at = static_cast<size_t>(*offset + kVaryingStackBelowSp);
              if (at + sizeof(value) <= stack.size()) {
                std::memcpy(&value, stack.data() + at, sizeof(value));
                *word = ProbeMemCheck{*offset, value};
              }
            }
            task.spinning = !word->has_value();
            task.spin_site = pc;
            return Status::Ok();
          }
        } else {
          stacks[pc] = std::move(stack);
        }
      }
      // Past the budget for a better one, any site will do.
      if (steps >= kStepsForDistinctSite && fits(pc)) return Status::Ok();
    }
    // Never step into what must be recorded: syscalls and trapped
    // instructions stop the walk (replay falls back to a breakpoint there).
    uint8_t code[16] = {};
    ASSIGN_OR_RETURN(size_t n, task.tracee.ReadMemoryPartial(pc, code));
    std::span<const uint8_t> insn(code, n);
    std::span<const uint8_t> syscall_insn = arch.SyscallInsn();
    if (n >= syscall_insn.size() && std::equal(syscall_insn.begin(), syscall_insn.end(), code)) {
      return Status::Ok();
    }
    if (arch.DecodeTrapInsn(insn).kind != arch::TrapInsnKind::kNone ||
        ProcessOf(task).patcher.TrapSiteAt(pc)) {
      return Status::Ok();
    }
    RETURN_IF_ERROR(StepOnce(task));
    ASSIGN_OR_RETURN(regs, task.tracee.GetRegisters());
  }
  RETURN_IF_ERROR(s_.buffer_.StepOutOfSyscallBuffer(task, regs));
  bool finished = false;
  RETURN_IF_ERROR(FinishInterruptibleInsn(task, &finished));
  if (finished) {
    ASSIGN_OR_RETURN(regs, task.tracee.GetRegisters());
  }
  return Status::Ok();
}

Expected<int> SignalRecorder::PlaceDeferredSignal(RecordTask& task, arch::Registers& regs,
                                                  bool at_boundary) {
  // The signal stays held back during the walk: one of the same number
  // arriving meanwhile merges with it.
  std::optional<ProbeMemCheck> word;
  if (!at_boundary) {
    RETURN_IF_ERROR(s_.passes_.Stop(task));
    ASSIGN_OR_RETURN(regs, task.tracee.GetRegisters());
    RETURN_IF_ERROR(MoveToProbeSite(task, regs, &word));
  }
  DeferredSignal d = std::move(task.deferred.front());
  task.deferred.erase(task.deferred.begin());
  if (!at_boundary) task.computing = true;
  if (!task.deferred.empty()) SetDeferDeadline(task);
  RETURN_IF_ERROR(task.tracee.SetSiginfo(d.siginfo));
  RETURN_IF_ERROR(RecordSignal(task, d.signo, d.siginfo, regs, !at_boundary, word));
  // The next signal in this loop is named by its pass instead.
  if (!at_boundary) RETURN_IF_ERROR(s_.passes_.Start(task, task.tracee.arch().Pc(regs)));
  return d.signo;
}

Expected<int> SignalRecorder::PlaceDeferredSignalAtArrival(RecordTask& task,
                                                           const arch::Registers& regs,
                                                           uint64_t arrival) {
  DeferredSignal d = std::move(task.deferred.front());
  task.deferred.erase(task.deferred.begin());
  if (!task.deferred.empty()) SetDeferDeadline(task);
  RETURN_IF_ERROR(task.tracee.SetSiginfo(d.siginfo));
  RETURN_IF_ERROR(RecordSignal(task, d.signo, d.siginfo, regs, /*with_fingerprint=*/true,
                               std::nullopt, arrival));
  return d.signo;
}

bool SignalRecorder::DeferredSignalBlocked(const RecordTask& task) const {
  Expected<uint64_t> mask = task.tracee.GetSignalMask();
  int signo = task.deferred.front().signo;
  return mask.ok() && ((*mask >> (signo - 1)) & 1);
}

Expected<bool> SignalRecorder::EnterHandler(RecordTask& task, int signo) {
  auto siginfo = task.tracee.GetSiginfo();
  if (!siginfo.ok() || arch::SiginfoView(*siginfo).IsSynchronousFault(signo)) return false;
  return EnterSignalHandler(task.tracee, signo, ResumeMode::kSingleStep);
}

bool SignalRecorder::AtBoundary(const RecordTask& task, const arch::Registers& regs) const {
  // Compared as program state: on AArch64 the syscall-exit stop reads x7 as
  // 1, a signal stop reads the program's x7.
  if (!task.boundary_regs || !task.tracee.arch().SameProgramState(*task.boundary_regs, regs)) {
    return false;
  }
  // A loop whose state lives in memory comes back to the same registers
  // after any number of passes; passes that made buffered calls moved it.
  if (s_.buffer_.BufferedSinceLastEvent(task)) return false;
  if (s_.passes_.MovedSinceEvent(task)) return false;
  return !task.boundary_memory ||
         (StackHash(task.tracee, regs, task.boundary_memory->hashes_globals) ==
              task.boundary_memory->stack_hash &&
          FingerprintVectorRegisters(task.tracee) == task.boundary_memory->vector_registers);
}

Status SignalRecorder::RecordPreempt(RecordTask& task, const arch::Registers& regs,
                                     const std::optional<ProbeMemCheck>& word) {
  trace::PreemptEvent event;
  Fingerprint(task.tracee, regs, word, !SyscallInFlightBeside(task), &event);
  task.boundary_memory =
      RecordTask::BoundaryMemory{event.stack_hash, event.hashes_globals, event.vector_registers};
  return Append(task, std::move(event));
}

bool SignalRecorder::SyscallInFlightBeside(const RecordTask& task) const {
  for (const auto& other : s_.tasks_) {
    // Blocked in it, or back from it with the exit stop not yet handled: its
    // SyscallEvent, which replay applies at once, is still to come.
    if (other.get() != &task && other->tgid == task.tgid && other->pending &&
        other->pending->entry_recorded) {
      return true;
    }
  }
  return false;
}

Expected<int> SignalRecorder::OnSignal(RecordTask& task, int signo) {
  auto siginfo = task.tracee.GetSiginfo();
  if (!siginfo.ok()) return 0;  // a group-stop, not a signal delivery
  ASSIGN_OR_RETURN(arch::Registers regs, task.tracee.GetRegisters());
  if (signo == SIGTRAP) {
    ASSIGN_OR_RETURN(std::optional<uint64_t> arrival, s_.passes_.TakeArrival(task, regs));
    if (arrival) {
      if (!task.deferred.empty() && !task.reentering && !DeferredSignalBlocked(task)) {
        return PlaceDeferredSignalAtArrival(task, regs, *arrival);
      }
      // Resumed at the site, the thread would count this arrival again.
      RETURN_IF_ERROR(s_.passes_.Stop(task));
      return 0;
    }
  }
  ASSIGN_OR_RETURN(bool emulated, EmulateTrapInsn(task, signo, regs));
  if (emulated) return 0;
  // Put back onto a syscall instruction whose entry the trace already has
  // (a preemption at that entry): replay keeps the thread inside the
  // syscall until its exit event, so no point here can be found again, not
  // even the last boundary's. A signal waits for the syscall, which the
  // thread enters as soon as it runs.
  const bool parked = task.reentering;
  bool at_boundary = !parked && AtBoundary(task, regs);

  if (signo == SIGSTOP && task.stop_sent) {
    // Our stop: place the oldest deferred signal here, or let another
    // thread run, and record where "here" is.
    task.stop_sent = false;
    bool preempt = task.preempt_wanted;
    task.preempt_wanted = false;
    if (!task.deferred.empty() && !parked && !DeferredSignalBlocked(task)) {
      return PlaceDeferredSignal(task, regs, at_boundary);
    }
    // Blocked here (in the handler of the one before it, until its
    // sigreturn): delivered here, it would wait in the kernel and arrive
    // after the unblocking syscall, not where the trace puts it. It goes at
    // that syscall instead; try again later if none comes.
    if (!task.deferred.empty()) task.defer_deadline = CoarseNow() + kSignalDelay;
    if (preempt && s_.scheduler_.OthersReady(task)) {
      // Parked, it needs no event: replay has it wait in the syscall.
      if (!parked) {
        if (!at_boundary) {
          RETURN_IF_ERROR(s_.passes_.Stop(task));
          ASSIGN_OR_RETURN(regs, task.tracee.GetRegisters());
          std::optional<ProbeMemCheck> word;
          RETURN_IF_ERROR(MoveToProbeSite(task, regs, &word));
          RETURN_IF_ERROR(RecordPreempt(task, regs, word));
        }
        task.boundary_regs = regs;
      }
      s_.scheduler_.SwitchAway(task);
      return -1;
    }
    return 0;
  }
  if (signo == SIGSTOP && task.fresh) {
    task.fresh = false;  // the initial stop of a new thread
    return 0;
  }
  if (task.reinjected && signo == task.reinjected->signo) {
    // The deferred signal arriving after the syscall it was queued at; it
    // carries the sender's siginfo, not ours.
    DeferredSignal d = std::move(*task.reinjected);
    task.reinjected.reset();
    RETURN_IF_ERROR(task.tracee.SetSiginfo(d.siginfo));
    RETURN_IF_ERROR(RecordSignal(task, signo, d.siginfo, regs, /*with_fingerprint=*/false));
    return signo;
  }
  if (!at_boundary && !arch::SiginfoView(*siginfo).IsSynchronousFault(signo) &&
      !IsStopSignal(signo)) {
    // Asynchronous: hold it back until the next syscall (a signal may
    // always arrive later).
    bool first = task.deferred.empty() && !task.reinjected;
    Defer(task, signo, *siginfo);
    // A thread that computes would not reach one in time either: place the
    // signal here and now. Waiting for a wakeup and a SIGSTOP while the
    // loop spins on cost milliseconds per signal, seconds on a busy machine.
    // Likewise once the held-back signal's patience is over: the
    // scheduler's wakeup timer is re-armed at every stop, so while the
    // program's own timer stops it more often than the wakeup period (a
    // 1 ms itimer against 2 ms) it never fires, and this stop is the one.
    bool patience_over =
        !first && CoarseNow() >= task.defer_deadline && !DeferredSignalBlocked(task);
    if (first && task.computing && !task.stop_sent && !parked && !DeferredSignalBlocked(task)) {
      // Counting its passes: placed at its next arrival at the site. If it
      // does not come, the patience runs out and the walk places it.
      ASSIGN_OR_RETURN(bool armed, s_.passes_.StopAtNextArrival(task, regs));
      if (armed) {
        task.defer_deadline = CoarseNow() + kSignalDelay;
        return 0;
      }
    }
    if (((first && task.computing) || patience_over) && !task.stop_sent && !parked) {
      return PlaceDeferredSignal(task, regs, false);
    }
    return 0;
  }
  RETURN_IF_ERROR(RecordSignal(task, signo, *siginfo, regs, /*with_fingerprint=*/false));
  return signo;
}

}  // namespace rwd::recorder
