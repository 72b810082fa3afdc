// ReplaySession: opening a trace, running threads to their events, stops,
// checkpoints. The parts it hands stops to: replay_session.h.
#include "replayer/replay_session.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "core/host_cpu.h"
#include "core/remote_syscall.h"
#include "core/signal_handler_entry.h"
#include "core/stack_hash.h"
#include "core/thread_fork.h"
#include "core/wakeup_timer.h"
#include "replayer/run_watchdog.h"
#include "trace/event_format.h"

namespace rwd::replayer {

namespace {

constexpr unsigned long kPtraceOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC |
                                         PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE |
                                         PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;

using Stop = std::optional<ReplayStop>;

}  // namespace

Expected<std::unique_ptr<ReplaySession>> ReplaySession::Open(const ReplayOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<trace::TraceReader> reader,
                   trace::TraceReader::Open(options.trace_dir));
  const trace::TraceHeader& h = reader->header();
  const arch::Arch* arch = arch::ArchByName(h.arch);
  if (!arch || arch != &arch::HostArch()) {
    return Status(ErrorCode::kUnsupported, "trace was recorded on " + h.arch +
                                               "; this machine is " +
                                               std::string(arch::HostArch().name()));
  }
  std::optional<arch::CpuidMask> mask = arch::ParseCpuidMask(h.cpuid_mask);
  if (!mask) {
    return Status(ErrorCode::kUnsupported, "the trace was recorded with --cpuid-mask " +
                                               h.cpuid_mask + ", which this rewind does not know");
  }
  RETURN_IF_ERROR(CheckCpuFeatures(*arch, h.cpu_features, *mask, HostCpuFeatures(*arch)));
  auto cpu = PinToCpu(h.pinned_cpu);
  if (!cpu.ok()) cpu = PinToCpu(-1);
  if (!cpu.ok()) return cpu.status();
  // With its tracees' CPU modes, the replayer's switches to and from them
  // at every stop rewrite no mode (arch.h).
  arch->host().AdoptTraceeCpuModes();
  // The recorded cwd need not exist here: nothing replay runs for real uses
  // it (see exec_staging.h), and the first execve is staged like any other.
  ASSIGN_OR_RETURN(std::shared_ptr<ExecStaging> staging,
                   ExecStaging::Create(trace::FileCache::DefaultDir()));
  SpawnOptions spawn;
  spawn.exe = h.exe_path;
  spawn.argv = h.argv;
  spawn.envp = h.envp;
  spawn.cwd = staging->dir();
  spawn.cpu = *cpu;
  spawn.detach_stdio = true;
  spawn.new_process_group = true;
  ASSIGN_OR_RETURN(Process process, Process::Spawn(spawn, kPtraceOptions));
  std::unique_ptr<ReplaySession> s(
      new ReplaySession(std::shared_ptr<trace::TraceReader>(std::move(reader)), *arch, options));
  pid_t live = process.pid();
  s->root_ = std::move(process);
  s->staging_ = std::move(staging);
  ASSIGN_OR_RETURN(const trace::Event* first, s->PeekEvent());
  pid_t recorded = first ? first->tid : live;
  auto mm = std::make_shared<AddressSpace>();
  s->threads_.Add(std::make_unique<ReplayTask>(Tracee(live, *arch), recorded, recorded, mm));
  s->cur_ = &s->threads_.front();
  s->focus_pid_ = options.focus_pid ? options.focus_pid : recorded;
  s->focus_mm_ = s->focus_pid_ == recorded ? mm : std::make_shared<AddressSpace>();
  return s;
}

ReplaySession::ReplaySession(std::shared_ptr<trace::TraceReader> reader, const arch::Arch& arch,
                             ReplayOptions options)
    : reader_(std::move(reader)),
      arch_(&arch),
      options_(std::move(options)),
      events_(reader_),
      root_(-1) {}

ReplaySession::~ReplaySession() {
  // Every process of the tree, not only the root: children would stay
  // stopped under a tracer that no longer exists.
  for (const auto& t : threads_) {
    if (!t->reaped) kill(t->tracee.tid(), SIGKILL);
  }
  // Threads before leaders: the kernel reports a leader's death only after
  // every other thread of its process has been reaped.
  for (const auto& t : threads_) {
    if (!t->reaped && t->tid != t->tgid) ReapEndingThread(t->tracee.tid());
  }
  for (const auto& t : threads_) {
    if (!t->reaped && t->tid == t->tgid) ReapEndingProcess(t->tracee.tid());
  }
  root_.MarkReaped();
}

Status ReplaySession::Diverged(const std::string& what) const {
  return DivergedAt(event_number(), what);
}

Status ReplaySession::DivergedAt(uint64_t event, const std::string& what) const {
  std::string thread =
      cur_ ? "thread " + std::to_string(cur_->tid) + ", live " + std::to_string(cur_->tracee.tid())
           : "";
  return EventCursor::DivergedAt(event, thread, what);
}

ReplayStop ReplaySession::MakeStop(ReplayStop::Kind kind) const {
  ReplayStop stop;
  stop.kind = kind;
  stop.tid = cur_ ? cur_->tid : focus_pid_;
  return stop;
}

ReplayStop ReplaySession::EndOfTrace() const {
  ReplayStop stop = MakeStop(ReplayStop::Kind::kEndOfTrace);
  if (exit_ahead_) {
    stop.exit_ahead = true;
    stop.wait_status = *exit_ahead_;
    stop.note = "the process exits here";
    return stop;
  }
  stop.note = reader_->incompleteness();
  if (stop.note.empty()) stop.note = "the trace has no more events";
  return stop;
}

LiveTid ReplaySession::live_tid() const {
  if (cur_ && InFocus(*cur_)) return cur_->live_tid();
  Tracee* t = TaskIn(*focus_mm_);
  return LiveTid(t ? t->tid() : -1);
}

std::vector<ThreadRef> ReplaySession::Threads() const {
  std::vector<ThreadRef> out;
  for (const auto& t : threads_) {
    if (InFocus(*t) && t->tgid == focus_pid_)
      out.push_back({t->recorded_tid(), t->live_tid(), t->name});
  }
  return out;
}

Expected<uint64_t> ReplaySession::StackWindowHash() const {
  ASSIGN_OR_RETURN(arch::Registers regs, GetRegisters());
  return rwd::StackWindowHash(cur().tracee, regs);
}

Expected<arch::Registers> ReplaySession::GetRegisters(RecordedTid tid) const {
  ReplayTask* t = threads_.Find(tid);
  if (!t) return Status(ErrorCode::kInvalidInput, "no thread " + tid.ToString());
  return t->tracee.GetRegisters();
}

Expected<std::vector<uint8_t>> ReplaySession::GetFpRegisters(RecordedTid tid) const {
  ReplayTask* t = threads_.Find(tid);
  if (!t) return Status(ErrorCode::kInvalidInput, "no thread " + tid.ToString());
  return t->tracee.GetFpRegisters();
}

Tracee* ReplaySession::FindTracee(RecordedTid tid) const {
  ReplayTask* t = threads_.Find(tid);
  return t ? &t->tracee : nullptr;
}

bool ReplaySession::CatchesBufferable(const SyscallCatch& which) const {
  if (which.all) return true;
  for (int64_t nr : which.numbers) {
    const arch::SyscallInfo* row = arch().syscalls().Find(nr);
    if (row && row->bufferable) return true;
  }
  return false;
}

bool ReplaySession::CanFork() const {
  // One process, every thread at rest; other processes of the tree are
  // reached again by replaying from an earlier checkpoint.
  if (exited_ || at_end_ || !cur_ || threads_.empty()) return false;
  const ReplayTask& first = threads_.front();
  bool leader = false;
  for (const auto& t : threads_) {
    if (t->tgid != first.tgid || t->mm != first.mm || t->zombie || t->pending_signal != 0 ||
        t->signal_queued || t->fingerprint_breakpoint || t->probe || t->caught_entry) {
      return false;
    }
    leader |= t->tid == t->tgid;
  }
  return leader;
}

Expected<ReplayStop> ReplaySession::Continue() {
  while (true) {
    ASSIGN_OR_RETURN(Stop over, breakpoints_.StepOverBreakpoint());
    if (over) return *over;
    ASSIGN_OR_RETURN(Stop stop, ResumeOnce(false));
    if (stop) return *stop;
  }
}

Expected<ReplayStop> ReplaySession::Step() {
  // Threads of other processes run at full speed to their events until a
  // thread the debugger sees is the one to step.
  while (true) {
    ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
    ReplayTask* owner = ev ? FindTask(ev->tid) : cur_;
    if (!owner || InFocus(*owner)) break;
    ASSIGN_OR_RETURN(Stop stop, ResumeOnce(false));
    if (stop && stop->kind != ReplayStop::Kind::kEventBoundary) return *stop;
  }
  ASSIGN_OR_RETURN(Stop scheduled, ScheduleNextEvent(true));
  if (scheduled) return *scheduled;
  if (cur_ && !at_end_) {
    ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
    const uint64_t addr = arch().Pc(regs);
    if (const std::vector<uint8_t>* planted = cur().mm->breakpoints.OriginalAt(addr)) {
      std::vector<uint8_t> original = *planted;
      std::shared_ptr<AddressSpace> mm = cur().mm;
      RETURN_IF_ERROR(tracee().WriteMemory(addr, original));
      Expected<Stop> stop = ResumeOnce(true);
      // The thread may have ended; its address space lives on in others.
      if (mm->breakpoints.Contains(addr)) {
        for (const auto& t : threads_) {
          if (t->mm == mm) {
            (void)t->tracee.WriteMemory(addr, arch().BreakpointInsn());
            break;
          }
        }
      }
      if (!stop.ok()) return stop.status();
      if (*stop) return **stop;
      return MakeStop(ReplayStop::Kind::kStep);
    }
  }
  ASSIGN_OR_RETURN(Stop stop, ResumeOnce(true));
  if (stop) return *stop;
  return MakeStop(ReplayStop::Kind::kStep);
}

Expected<ReplayStop> ReplaySession::StepThread(pid_t tid) {
  if (!FindTask(tid)) return Status(ErrorCode::kInvalidInput, "no thread " + std::to_string(tid));
  while (true) {
    ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
    ReplayTask* owner = ev ? FindTask(ev->tid) : cur_;
    if (!owner || owner->tid == tid) break;
    ASSIGN_OR_RETURN(Stop over, breakpoints_.StepOverBreakpoint());
    if (over &&
        (over->kind == ReplayStop::Kind::kExited || over->kind == ReplayStop::Kind::kEndOfTrace)) {
      return *over;
    }
    ASSIGN_OR_RETURN(Stop stop, ResumeOnce(false));
    if (!stop) continue;
    switch (stop->kind) {
      case ReplayStop::Kind::kExited:
      case ReplayStop::Kind::kEndOfTrace:
      case ReplayStop::Kind::kInterrupted:
        return *stop;
      default:
        break;  // another thread's trap or signal: it goes on as recorded
    }
  }
  return Step();
}

Expected<Stop> ReplaySession::ScheduleNextEvent(bool step) {
  while (true) {
    if (at_end_) return Stop(EndOfTrace());
    ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
    if (!ev) {
      // A trace cut short: the current thread runs on to its next stop, which
      // reports the end. With no thread left, the end is here.
      if (!cur_) {
        if (exited_) {
          ReplayStop stop = MakeStop(ReplayStop::Kind::kExited);
          stop.wait_status = exited_->raw;
          return Stop(stop);
        }
        at_end_ = true;
        return Stop(EndOfTrace());
      }
      return Stop();
    }
    ReplayTask* owner = FindTask(ev->tid);
    if (!owner) {
      return Diverged("the recording has " + trace::DescribeEvent(arch(), *ev) + ", but thread " +
                      std::to_string(ev->tid) + " does not exist in the replay");
    }
    if (owner != cur_) {
      cur_ = owner;
      // Another thread's turn: the one whose breakpoint was reported stays
      // where it is and steps over it when its own turn comes.
    }
    if (auto* batch = std::get_if<trace::SyscallBatchEvent>(&ev->body)) {
      // What the thread buffered before its next event: its library
      // returns these without syscalls on the way there.
      RETURN_IF_ERROR(syscallbuf_.LoadSyscallBatch(*owner, *batch));
      ConsumeEvent();
      // A boundary like any other (positions and checkpoints name it), but
      // not a step: nothing executed.
      at_boundary_ = true;
      if (!step && boundary_stop_ && boundary_stop_(event_number())) {
        return Stop(MakeStop(ReplayStop::Kind::kEventBoundary));
      }
      continue;
    }
    if (auto* exit = std::get_if<trace::ExitEvent>(&ev->body)) {
      if (WIFSIGNALED(exit->wait_status) && owner->pending_signal == 0) {
        int sig = WTERMSIG(exit->wait_status);
        // Killed from outside, or by the program's seccomp filter
        // (SECCOMP_RET_KILL_PROCESS: the kernel kills at the syscall, with
        // no signal delivery to record). Also a thread parked in a blocking
        // syscall: the kill (another process's, replayed without effect)
        // ended it there.
        if (sig == SIGKILL || (sig == SIGSYS && exit->whole_process)) {
          owner->at_syscall_entry = false;
          ASSIGN_OR_RETURN(Stop ended, lifecycle_.EndThreadAsRecorded(*exit));
          if (ended) return ended;
          continue;  // another process's thread: the next event is someone else's
        }
      }
    }
    if (owner->at_syscall_entry) {
      // Parked in a syscall since its SyscallEntryEvent; this event finishes
      // it. The event after it may be another thread's: schedule again.
      ASSIGN_OR_RETURN(Stop stop, catcher_.FinishParkedSyscall(step));
      if (stop) return stop;
      continue;
    }
    if (std::holds_alternative<trace::PreemptEvent>(ev->body)) {
      ASSIGN_OR_RETURN(bool observable, signals_.PreemptionPointObservable(*owner));
      if (!observable) {
        // Nobody can tell where it stopped; finding the point again costs
        // traps, and fails in loops whose state lives in memory only. Its
        // next event (a syscall, a signal) still checks it against the trace.
        RETURN_IF_ERROR(signals_.DisarmFingerprint(*owner));
        owner->fingerprint_misses = 0;
        ConsumeEvent();
        continue;
      }
    }
    return Stop();
  }
}

Expected<Stop> ReplaySession::ResumeOnce(bool step) {
  at_boundary_ = false;
  if (cur_) cur().expanded_call = cur().buffered_return = false;
  // Stopped at a caught syscall's entry: the syscall is its next event.
  if (cur_ && cur().caught_entry) return catcher_.OnCaughtSyscallStop(step);
  if (!step) {
    ASSIGN_OR_RETURN(Stop scheduled, ScheduleNextEvent(false));
    if (scheduled) return scheduled;
    // Scheduling may have passed boundaries (a syscall batch loaded, a
    // parked syscall finished) without stopping; the thread runs now, so
    // where it stops next is inside the stretch, not at its start.
    at_boundary_ = false;
  }
  if (!cur_) return Stop(EndOfTrace());
  cur().reported_breakpoint.reset();
  if (step && cur().probe) {
    // Stepping through a probe would show its trampoline: use a breakpoint.
    RETURN_IF_ERROR(signals_.DisarmFingerprint(cur()));
  }
  RETURN_IF_ERROR(signals_.InjectPendingAsyncSignal(step));
  cur().resumed_before_event = event_number();
  if (step) {
    ASSIGN_OR_RETURN(arch::Registers before, tracee().GetRegisters());
    cur().step_from_pc = arch().Pc(before);
  }
  int signo = cur().pending_signal;
  bool async = cur().pending_async;
  cur().pending_signal = 0;
  cur().pending_async = false;
  if (signo != 0 && watch_.page_watch().armed() && InFocus(cur()))
    return watch_.DeliverSignalDisarmed(signo, step, async);
  if (signo != 0 && async) {
    // Into the handler as the recorder delivered it, with the same frame.
    ASSIGN_OR_RETURN(bool entered,
                     EnterSignalHandler(tracee(), signo, ResumeMode::kSysemuSingleStep));
    if (entered && step) return signals_.OnSignalStop(SIGTRAP, step);
    if (entered) signo = 0;
  }
  RETURN_IF_ERROR(
      tracee().Resume(step ? ResumeMode::kSysemuSingleStep : ResumeMode::kSysemu, signo));
  ASSIGN_OR_RETURN(WaitStatus ws, WaitFor(cur(), /*interruptible=*/true));
  switch (ws.kind) {
    case WaitStatus::Kind::kSyscallStop:
      return catcher_.OnCaughtSyscallStop(step);
    case WaitStatus::Kind::kSignalStop:
      return signals_.OnSignalStop(ws.signo, step);
    case WaitStatus::Kind::kExited:
    case WaitStatus::Kind::kKilled:
      return lifecycle_.OnExit(ws);
    case WaitStatus::Kind::kPtraceEvent:
    case WaitStatus::Kind::kGroupStop:
      return Stop();
  }
  return Stop();
}

Expected<WaitStatus> ReplaySession::WaitFor(ReplayTask& t, bool interruptible) {
  // A thread running to a fingerprinted point runs its own code with no
  // event in sight, and so does one whose replay went astray in memory
  // alone: if the point never comes, say so rather than spin mute.
  const bool searching = t.probe || t.fingerprint_breakpoint;
  // Under a debugger a long run that is no search is the user's own
  // continue through a long computation, which the interrupt stops.
  if (!searching && interruptible && interrupt_poll_) return WaitRunning(t, interruptible);
  const pid_t tid_for_user = t.tid;
  const uint64_t event = event_number();
  RunWatchdog::Get().Running(t.tid, event, [searching, tid_for_user, event] {
    const std::string ran = "thread " + std::to_string(tid_for_user) + " has run for " +
                            std::to_string(RunWatchdog::kPatienceSeconds) + " s without ";
    const std::string what =
        searching ? "reaching the point where the recording stopped it (event " +
                        std::to_string(event) + "); it may never get there."
                  : "reaching its next event (event " + std::to_string(event) +
                        "). Expected if the recorded program computed that long here; if "
                        "not, replay has lost its way.";
    return ran + what + " Ctrl-C stops the replay; if it never ends, please report this "
                        "with the trace.";
  });
  Expected<WaitStatus> ws = WaitRunning(t, interruptible);
  RunWatchdog::Get().Stopped();
  return ws;
}

Expected<WaitStatus> ReplaySession::WaitRunning(ReplayTask& t, bool interruptible) {
  bool poll = interruptible && interrupt_poll_;
  bool leads_others =
      t.tid == t.tgid && std::any_of(threads_.begin(), threads_.end(), [&](auto& o) {
        return o.get() != &t && o->tgid == t.tgid && !o->reaped;
      });
  if (!poll && !leads_others) return t.tracee.Wait();
  ScopedWakeupTimer timer(std::chrono::milliseconds(100));
  pid_t tid = t.tracee.tid();
  return t.tracee.Wait([&]() {
    if (leads_others && ThreadEnded(tid)) {
      // The process ended (a fatal signal, a kill from outside): the
      // leader's death waits for the other threads' to be collected.
      lifecycle_.ReapThreadsOf(t.tgid, &t);
      leads_others = false;
    }
    if (!poll || interrupt_sent_ || !interrupt_poll_()) return;
    // SIGSTOP cannot be blocked or handled by the program; the stop it
    // causes is ours and never delivered.
    if (syscall(SYS_tkill, tid, SIGSTOP) == 0) interrupt_sent_ = true;
  });
}

Stop ReplaySession::AfterEvent(bool step) {
  at_boundary_ = true;
  if (step) return Stop(MakeStop(ReplayStop::Kind::kStep));
  if (boundary_stop_ && boundary_stop_(event_number())) {
    return Stop(MakeStop(ReplayStop::Kind::kEventBoundary));
  }
  return Stop();
}

Expected<std::unique_ptr<ReplaySession>> ReplaySession::Fork() {
  if (!CanFork()) {
    return Status(ErrorCode::kInvalidInput,
                  "cannot take a checkpoint here (the process ended, the trace ended, "
                  "several processes run, a signal is about to be delivered, or a thread "
                  "stopped at a caught syscall's entry)");
  }
  ReplayTask* leader = nullptr;
  std::vector<ReplayTask*> others;
  std::vector<ThreadState> states;
  for (const auto& t : threads_) {
    if (t->tid == t->tgid) {
      leader = t.get();
    } else {
      others.push_back(t.get());
      states.push_back(ThreadState{&t->tracee, t->clear_child_tid});
    }
  }
  AddressSpace& mm = *leader->mm;
  // The copy must not inherit our breakpoint instructions, nor the page
  // protections of our watchpoints.
  RETURN_IF_ERROR(breakpoints_.RemoveBreakpointsFrom(mm, leader->tracee));
  if (leader->mm == focus_mm_) RETURN_IF_ERROR(watch_.DisarmPageWatch());
  Expected<std::vector<pid_t>> tids = std::vector<pid_t>{};
  if (others.empty()) {
    Expected<pid_t> pid = ForkTracee(leader->tracee, mm.patcher.syscall_insn());
    tids = pid.ok() ? Expected<std::vector<pid_t>>(std::vector<pid_t>{*pid})
                    : Expected<std::vector<pid_t>>(pid.status());
  } else {
    tids = ForkProcessWithThreads(leader->tracee, leader->clear_child_tid, states,
                                  mm.patcher.syscall_insn());
  }
  for (const auto& [addr, original] : mm.breakpoints) {
    RETURN_IF_ERROR(leader->tracee.WriteMemory(addr, arch().BreakpointInsn()));
  }
  if (leader->mm == focus_mm_) RETURN_IF_ERROR(watch_.ArmPageWatch());
  if (!tids.ok()) return tids.status();
  // The copy maps the shared-file copies we map: it gets its own, or what
  // either writes later would show in the other.
  std::shared_ptr<SharedFileCopies> copies = shared_copies_;
  if (!shared_copies_->empty()) {
    ASSIGN_OR_RETURN(SharedFileCopies::Duplicate own, shared_copies_->Duplicated());
    Tracee copy_leader((*tids)[0], arch());
    RETURN_IF_ERROR(GiveCopiesTo(own, copy_leader, mm.patcher.syscall_insn()));
    copies = own.copies;
  }
  // The copy echoes nothing until asked (set_echo_from_event), but can: a
  // checkpoint restored by going back becomes the live replay, whose output
  // past what was shown must appear.
  std::unique_ptr<ReplaySession> copy(new ReplaySession(reader_, arch(), options_));
  copy->echo_from_event_ = UINT64_MAX;
  copy->root_ = Process((*tids)[0]);
  copy->shared_copies_ = copies;
  copy->staging_ = staging_;
  auto copy_mm = std::make_shared<AddressSpace>();
  copy_mm->patcher = mm.patcher;
  copy_mm->exec_path = mm.exec_path;
  copy_mm->mapped_files = mm.mapped_files;
  copy_mm->probe_pages = mm.probe_pages;
  copy_mm->library_code = mm.library_code;
  copy_mm->fork_advice = mm.fork_advice;
  std::vector<ReplayTask*> originals{leader};
  originals.insert(originals.end(), others.begin(), others.end());
  for (size_t i = 0; i < originals.size(); ++i) {
    const ReplayTask& from = *originals[i];
    auto task =
        std::make_unique<ReplayTask>(Tracee((*tids)[i], arch()), from.tid, from.tgid, copy_mm);
    task->clear_child_tid = from.clear_child_tid;
    task->name = from.name;
    task->syscallbuf = from.syscallbuf;
    task->batch_event = from.batch_event;
    if (from.at_syscall_entry) {
      // The copy is not inside the syscall: put it back onto the syscall
      // instruction and run it into the syscall's entry stop, where its
      // original is (the registers a debugger sees there are those).
      ASSIGN_OR_RETURN(arch::Registers regs, task->tracee.GetRegisters());
      arch().RewindToSyscallInsn(regs);
      RETURN_IF_ERROR(task->tracee.SetRegisters(regs));
      RETURN_IF_ERROR(EnterSyscall(*task));
    }
    if (&from == cur_) copy->cur_ = task.get();
    copy->threads_.Add(std::move(task));
  }
  RETURN_IF_ERROR(breakpoints_.RemoveProbesFrom(mm, copy->threads_.front().tracee));
  RETURN_IF_ERROR(code_guard_.ReleaseIn(mm, copy->threads_.front().tracee));
  copy->focus_pid_ = focus_pid_;
  copy->focus_mm_ = focus_mm_ == leader->mm ? copy_mm : std::make_shared<AddressSpace>();
  copy->events_ = events_;
  copy->last_signal_ = last_signal_;
  copy->exit_ahead_ = exit_ahead_;
  copy->at_end_ = exit_ahead_.has_value();
  copy->at_boundary_ = at_boundary_;
  copy->breakpoints_.set_suspended(breakpoints_.suspended());
  // The copy's buffers say what ours say (their memory is ours): the
  // library leaves calls to the replayer while we catch syscalls. Its
  // batches keep that path until set_syscall_catch says otherwise.
  copy->syscallbuf_.SetExpand(syscallbuf_.expanding());
  return copy;
}

}  // namespace rwd::replayer
