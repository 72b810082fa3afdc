#include "replayer/replay_session.h"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cinttypes>
#include <cstring>

#include "core/proc_maps.h"
#include "core/remote_syscall.h"
#include "core/stack_hash.h"
#include "core/wakeup_timer.h"
#include "trace/event_format.h"

namespace rwd::replayer {

namespace {

constexpr unsigned long kPtraceOptions =
    PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE;
// MAP_FIXED_NOREPLACE would refuse to map over what replay itself mapped.
constexpr uint64_t kMapFixedNoReplace = 0x100000;
// Breakpoint hits (~4 us each) spent looking for a fingerprinted signal's
// point before giving up with a clear error rather than appearing to hang.
constexpr uint64_t kMaxFingerprintHits = 100000;

using Stop = std::optional<ReplayStop>;

std::string Hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
  return buf;
}

bool SameExit(int recorded, int seen) {
  // Whether a core file was written depends on the machine, not the program.
  return (recorded & ~0x80) == (seen & ~0x80);
}

void WriteAll(int fd, const std::vector<uint8_t>& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// At a watchpoint trap taken before the access (AArch64): executes the
// accessing instruction with the watchpoints off, then arms them again.
Status StepOverWatchedAccess(const Tracee& tracee, const std::vector<arch::HwWatch>& watches) {
  const arch::Arch& a = tracee.arch();
  if (!a.SetHwWatchpoints(tracee.tid(), {})) {
    return Status(ErrorCode::kSystem, "the debug registers refused to disarm the watchpoints");
  }
  RETURN_IF_ERROR(tracee.Resume(ResumeMode::kSingleStep));
  ASSIGN_OR_RETURN(WaitStatus ws, tracee.Wait());
  if (!a.SetHwWatchpoints(tracee.tid(), watches)) {
    return Status(ErrorCode::kSystem, "the debug registers refused to re-arm the watchpoints");
  }
  if (ws.kind != WaitStatus::Kind::kSignalStop || ws.signo != SIGTRAP) {
    return Status(ErrorCode::kUnsupported,
                  "stepping over a watched access ended in " + ws.ToString() +
                      " instead of a step; the watchpoint cannot be reported");
  }
  return Status::Ok();
}

// The registers a fingerprinted signal was recorded at (trace::SignalEvent).
arch::Registers FingerprintRegisters(const trace::SignalEvent& sig) {
  arch::Registers regs;
  std::memcpy(regs.data(), sig.fingerprint.data(),
              std::min(sig.fingerprint.size(), arch::Registers::capacity_bytes()));
  return regs;
}

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
  auto cpu = PinToCpu(h.pinned_cpu);
  if (!cpu.ok()) cpu = PinToCpu(-1);
  if (!cpu.ok()) return cpu.status();
  SpawnOptions spawn;
  spawn.exe = h.exe_path;
  spawn.argv = h.argv;
  spawn.envp = h.envp;
  spawn.cwd = h.cwd;
  spawn.cpu = *cpu;
  spawn.detach_stdio = true;
  spawn.new_process_group = true;
  ASSIGN_OR_RETURN(Process process, Process::Spawn(spawn, kPtraceOptions));
  Tracee tracee(process.pid(), *arch);
  return std::unique_ptr<ReplaySession>(
      new ReplaySession(std::move(reader), std::move(process), std::move(tracee), options));
}

ReplaySession::ReplaySession(std::shared_ptr<trace::TraceReader> reader, Process process,
                             Tracee tracee, ReplayOptions options)
    : reader_(std::move(reader)),
      process_(std::move(process)),
      tracee_(std::move(tracee)),
      options_(std::move(options)) {}

ReplaySession::~ReplaySession() = default;

Expected<const trace::Event*> ReplaySession::PeekEvent() {
  if (!next_) {
    if (reader_->position() != cursor_) RETURN_IF_ERROR(reader_->Seek(cursor_));
    ASSIGN_OR_RETURN(std::optional<trace::Event> ev, reader_->Next());
    if (!ev) return nullptr;
    ++cursor_;
    next_ = std::move(ev);
    if (recorded_pid_ == 0) recorded_pid_ = next_->tid;
  }
  return &*next_;
}

Status ReplaySession::Diverged(const std::string& what) const {
  return Status(ErrorCode::kDivergence,
                "replay diverged from the recording at event " + std::to_string(event_number()) +
                    ": " + what);
}

ReplayStop ReplaySession::EndOfTrace() const {
  ReplayStop stop;
  stop.kind = ReplayStop::Kind::kEndOfTrace;
  stop.note = reader_->incompleteness();
  if (stop.note.empty()) stop.note = "the trace has no more events";
  return stop;
}

Expected<ReplayStop> ReplaySession::Continue() {
  while (true) {
    ASSIGN_OR_RETURN(Stop over, StepOverBreakpoint());
    if (over) return *over;
    ASSIGN_OR_RETURN(Stop stop, ResumeOnce(false));
    if (stop) return *stop;
  }
}

Expected<ReplayStop> ReplaySession::Step() {
  if (!exited_ && !at_end_) {
    ASSIGN_OR_RETURN(arch::Registers regs, tracee_.GetRegisters());
    if (breakpoints_.count(arch().Pc(regs))) {
      auto it = breakpoints_.find(arch().Pc(regs));
      RETURN_IF_ERROR(tracee_.WriteMemory(it->first, it->second));
      Expected<Stop> stop = ResumeOnce(true);
      if (!exited_) {
        RETURN_IF_ERROR(tracee_.WriteMemory(it->first, arch().BreakpointInsn()));
      }
      if (!stop.ok()) return stop.status();
      if (*stop) return **stop;
      return ReplayStop{ReplayStop::Kind::kStep};
    }
  }
  ASSIGN_OR_RETURN(Stop stop, ResumeOnce(true));
  if (stop) return *stop;
  return ReplayStop{ReplayStop::Kind::kStep};
}

Expected<std::optional<ReplayStop>> ReplaySession::StepOverBreakpoint() {
  if (exited_ || at_end_) return Stop();
  ASSIGN_OR_RETURN(arch::Registers regs, tracee_.GetRegisters());
  uint64_t pc = arch().Pc(regs);
  if (reported_breakpoint_ != pc || !breakpoints_.count(pc)) return Stop();
  ASSIGN_OR_RETURN(ReplayStop stop, Step());
  // Only a plain step is swallowed; a signal, exit or end is what Continue
  // would have reported anyway.
  if (stop.kind == ReplayStop::Kind::kStep) return Stop();
  return Stop(stop);
}

Expected<Stop> ReplaySession::ResumeOnce(bool step) {
  reported_breakpoint_.reset();
  at_boundary_ = false;
  if (exited_) {
    ReplayStop stop;
    stop.kind = ReplayStop::Kind::kExited;
    stop.wait_status = exited_->raw;
    return Stop(stop);
  }
  if (at_end_) return Stop(EndOfTrace());
  RETURN_IF_ERROR(InjectPendingAsyncSignal());
  if (step) {
    ASSIGN_OR_RETURN(arch::Registers before, tracee_.GetRegisters());
    step_from_pc_ = arch().Pc(before);
  }
  int signo = pending_signal_;
  pending_signal_ = 0;
  RETURN_IF_ERROR(tracee_.Resume(step ? ResumeMode::kSysemuSingleStep : ResumeMode::kSysemu,
                                 signo));
  ASSIGN_OR_RETURN(WaitStatus ws, WaitInterruptibly());
  switch (ws.kind) {
    case WaitStatus::Kind::kSyscallStop:
      return OnSyscallStop(step);
    case WaitStatus::Kind::kSignalStop:
      return OnSignalStop(ws.signo, step);
    case WaitStatus::Kind::kExited:
    case WaitStatus::Kind::kKilled:
      return OnExit(ws);
    case WaitStatus::Kind::kPtraceEvent:
    case WaitStatus::Kind::kGroupStop:
      return Stop();
  }
  return Stop();
}

Expected<WaitStatus> ReplaySession::WaitInterruptibly() {
  if (!interrupt_poll_) return tracee_.Wait();
  ScopedWakeupTimer timer(std::chrono::milliseconds(100));
  return tracee_.Wait([this]() {
    if (interrupt_sent_ || !interrupt_poll_()) return;
    // SIGSTOP cannot be blocked or handled by the program; the stop it
    // causes is ours and never delivered.
    if (syscall(SYS_tgkill, tracee_.tid(), tracee_.tid(), SIGSTOP) == 0) interrupt_sent_ = true;
  });
}

Expected<Stop> ReplaySession::OnSyscallStop(bool step) {
  const arch::Arch& a = arch();
  ASSIGN_OR_RETURN(arch::Registers regs, tracee_.GetRegisters());
  int64_t nr = a.SyscallNumber(regs);
  std::array<uint64_t, 6> args;
  for (int i = 0; i < 6; ++i) args[i] = a.SyscallArg(regs, i);
  std::string seen = trace::DescribeSyscall(a, nr, args);

  ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
  if (!ev) {
    // Leave the thread at the syscall entry; continuing again reports the
    // same end instead of running past the recording.
    at_end_ = true;
    return Stop(EndOfTrace());
  }
  const arch::SyscallInfo* row = a.syscalls().Find(nr);
  if (auto* exec = std::get_if<trace::ExecEvent>(&ev->body)) {
    if (!row || row->special != arch::Special::kExecve) {
      return Diverged("expected execve of " + exec->path + ", saw " + seen);
    }
    trace::ExecEvent copy = *exec;
    ConsumeEvent();
    RETURN_IF_ERROR(ReplayExec(copy));
  } else if (auto* exit = std::get_if<trace::ExitEvent>(&ev->body)) {
    if (!row || (row->special != arch::Special::kExitGroup && row->special != arch::Special::kExit)) {
      return Diverged("expected the process to exit, saw " + seen);
    }
    (void)exit;
    std::optional<WaitStatus> exited;
    RETURN_IF_ERROR(ExecuteInPlace(std::nullopt, &exited).status());
    if (!exited) return Diverged("exit syscall returned");
    return OnExit(*exited);
  } else if (auto* sc = std::get_if<trace::SyscallEvent>(&ev->body)) {
    if (sc->nr != nr) {
      return Diverged("expected " + trace::DescribeSyscall(a, sc->nr, sc->args) + ", saw " + seen);
    }
    for (int i = 0; i < 6; ++i) {
      if (sc->args[i] != args[i]) {
        return Diverged(seen + ": argument " + std::to_string(i + 1) + " is " + Hex(args[i]) +
                        "; the recording had " + Hex(sc->args[i]));
      }
    }
    if (!row) return Diverged("syscall " + seen + " is not in this rewind's syscall table");
    trace::SyscallEvent copy = std::move(*sc);
    ConsumeEvent();
    if (row->action == arch::ReplayAction::kExecute) {
      RETURN_IF_ERROR(ExecuteSyscall(*row, copy));
    } else {
      RETURN_IF_ERROR(EmulateSyscall(*row, copy));
    }
  } else {
    return Diverged("expected " + trace::DescribeEvent(a, *ev) + ", saw syscall " + seen);
  }
  return AfterEvent(step);
}

Stop ReplaySession::AfterEvent(bool step) {
  at_boundary_ = true;
  if (step) return Stop(ReplayStop{ReplayStop::Kind::kStep});
  if (boundary_stop_ && boundary_stop_(event_number())) {
    return Stop(ReplayStop{ReplayStop::Kind::kEventBoundary});
  }
  return Stop();
}

Status ReplaySession::EmulateSyscall(const arch::SyscallInfo& row, const trace::SyscallEvent& ev) {
  for (const trace::MemWrite& w : ev.writes) {
    RETURN_IF_ERROR(tracee_.WriteMemory(w.addr, w.bytes));
  }
  ASSIGN_OR_RETURN(arch::Registers regs, tracee_.GetRegisters());
  arch().SetSyscallResult(regs, ev.result);
  RETURN_IF_ERROR(tracee_.SetRegisters(regs));
  // event_number() already counts this event.
  if (options_.echo_output && event_number() > echo_from_event_) EchoOutput(row, ev);
  return Status::Ok();
}

void ReplaySession::EchoOutput(const arch::SyscallInfo& row, const trace::SyscallEvent& ev) {
  int fd = static_cast<int>(ev.args[0]);
  if ((fd != 1 && fd != 2) || ev.result <= 0) return;
  std::vector<uint8_t> out;
  if (row.name == "write") {
    auto bytes = tracee_.ReadBytes(ev.args[1], static_cast<size_t>(ev.result));
    if (bytes.ok()) out = std::move(*bytes);
  } else if (row.name == "writev") {
    uint64_t left = static_cast<uint64_t>(ev.result);
    for (uint64_t i = 0; i < ev.args[2] && left > 0; ++i) {
      auto base = tracee_.Read<uint64_t>(ev.args[1] + 16 * i);
      auto len = tracee_.Read<uint64_t>(ev.args[1] + 16 * i + 8);
      if (!base.ok() || !len.ok()) break;
      uint64_t n = std::min(*len, left);
      auto bytes = tracee_.ReadBytes(*base, n);
      if (!bytes.ok()) break;
      out.insert(out.end(), bytes->begin(), bytes->end());
      left -= n;
    }
  } else {
    return;
  }
  WriteAll(fd == 1 ? options_.stdout_fd : 2, out);
}

Status ReplaySession::ExecuteSyscall(const arch::SyscallInfo& row, const trace::SyscallEvent& ev) {
  std::optional<std::array<uint64_t, 6>> args;
  int64_t fd_to_close = -1;
  const arch::SyscallTable& table = arch().syscalls();
  if (row.special == arch::Special::kMmap && ev.result >= 0) {
    // Map exactly where the recording did, and the recorded bytes of files.
    args = ev.args;
    (*args)[0] = static_cast<uint64_t>(ev.result);
    (*args)[3] = ((*args)[3] | MAP_FIXED) & ~kMapFixedNoReplace;
    if (!ev.mapped_file_id.empty()) {
      ASSIGN_OR_RETURN(uint64_t path,
                       PushScratchString(tracee_, reader_->FilePath(ev.mapped_file_id)));
      SyscallArgs open_args;
      open_args.v = {static_cast<uint64_t>(AT_FDCWD), path, O_RDONLY | O_CLOEXEC, 0, 0, 0};
      ASSIGN_OR_RETURN(int64_t fd, InjectSyscall(tracee_, patcher_.syscall_insn(),
                                                 table.FindByName("openat")->nr, open_args));
      if (fd < 0) {
        return Status(ErrorCode::kNotFound,
                      "cannot open the trace's copy of " + ev.mapped_path + ": " +
                          strerror(static_cast<int>(-fd)));
      }
      (*args)[4] = static_cast<uint64_t>(fd);
      fd_to_close = fd;
      mapped_files_[ev.mapped_path] = reader_->FilePath(ev.mapped_file_id);
    }
  }
  std::optional<WaitStatus> exited;
  ASSIGN_OR_RETURN(int64_t result, ExecuteInPlace(args, &exited));
  if (exited) return Diverged(std::string(row.name) + " ended the process");
  if (args) {
    // The program must see its own argument registers, not our overrides.
    ASSIGN_OR_RETURN(arch::Registers regs, tracee_.GetRegisters());
    for (int i = 0; i < 6; ++i) arch().SetSyscallArg(regs, i, ev.args[i]);
    // Where the result register is also an argument register (AArch64 x0),
    // the program sees the result.
    arch().SetSyscallResult(regs, result);
    RETURN_IF_ERROR(tracee_.SetRegisters(regs));
  }
  if (fd_to_close >= 0) {
    SyscallArgs close_args;
    close_args.v[0] = static_cast<uint64_t>(fd_to_close);
    RETURN_IF_ERROR(
        InjectSyscall(tracee_, patcher_.syscall_insn(), table.FindByName("close")->nr, close_args)
            .status());
  }
  // Address-space results must match exactly: later code uses the addresses.
  // Others only have to agree on success (set_tid_address returns the live
  // tid, which differs); the program sees the recorded value.
  bool exact = row.special == arch::Special::kMmap || row.special == arch::Special::kBrk ||
               row.special == arch::Special::kMremap;
  if (exact ? result != ev.result : (result < 0) != (ev.result < 0)) {
    return Diverged(std::string(row.name) + " returned " + Hex(result) + "; the recording had " +
                    Hex(ev.result));
  }
  if (result != ev.result) {
    ASSIGN_OR_RETURN(arch::Registers regs, tracee_.GetRegisters());
    arch().SetSyscallResult(regs, ev.result);
    RETURN_IF_ERROR(tracee_.SetRegisters(regs));
  }
  // Restore memory the kernel wrote in the recording (e.g. old sigaction),
  // which the real call just wrote too; recorded bytes are authoritative.
  for (const trace::MemWrite& w : ev.writes) {
    RETURN_IF_ERROR(tracee_.WriteMemory(w.addr, w.bytes));
  }
  if (ev.result >= 0 && (row.special == arch::Special::kMmap ||
                         row.special == arch::Special::kMunmap ||
                         row.special == arch::Special::kMremap)) {
    RETURN_IF_ERROR(RefreshBreakpoints());
  }
  if (ev.result >= 0) {
    bool exec_map = (row.special == arch::Special::kMmap ||
                     row.special == arch::Special::kMprotect) &&
                    (ev.args[2] & PROT_EXEC);
    if (exec_map) {
      uint64_t start = row.special == arch::Special::kMmap ? ev.result : ev.args[0];
      RETURN_IF_ERROR(patcher_.PatchTrapSites(tracee_, start, start + ev.args[1]).status());
    }
  }
  return Status::Ok();
}

Expected<int64_t> ReplaySession::ExecuteInPlace(const std::optional<std::array<uint64_t, 6>>& args,
                                                std::optional<WaitStatus>* exited) {
  const arch::Arch& a = arch();
  ASSIGN_OR_RETURN(arch::Registers regs, tracee_.GetRegisters());
  a.RewindToSyscallInsn(regs);
  if (args) {
    for (int i = 0; i < 6; ++i) a.SetSyscallArg(regs, i, (*args)[i]);
  }
  RETURN_IF_ERROR(tracee_.SetRegisters(regs));
  bool entered = false;
  for (int stops = 0; stops < 8; ++stops) {
    RETURN_IF_ERROR(tracee_.Resume(ResumeMode::kSyscall));
    ASSIGN_OR_RETURN(WaitStatus ws, tracee_.Wait());
    if (ws.is_exit()) {
      *exited = ws;
      return 0;
    }
    if (ws.kind == WaitStatus::Kind::kPtraceEvent) continue;  // exec
    if (ws.kind == WaitStatus::Kind::kSignalStop && ws.signo == SIGSTOP && interrupt_sent_) {
      interrupt_sent_ = false;  // raced with this syscall; dropped
      --stops;
      continue;
    }
    if (ws.kind != WaitStatus::Kind::kSyscallStop) {
      return Diverged("unexpected " + ws.ToString() + " while executing a syscall");
    }
    ASSIGN_OR_RETURN(SyscallStopInfo info, tracee_.GetSyscallInfo());
    if (info.op == SyscallStopInfo::Op::kEntry) {
      entered = true;
    } else if (info.op == SyscallStopInfo::Op::kExit && entered) {
      return info.result;
    }
  }
  return Error("a re-executed syscall never completed");
}

Status ReplaySession::ReplayExec(const trace::ExecEvent& ev) {
  std::optional<WaitStatus> exited;
  ASSIGN_OR_RETURN(int64_t result, ExecuteInPlace(std::nullopt, &exited));
  if (exited) return Diverged("the process ended during execve of " + ev.path);
  if (result != 0) {
    return Status(ErrorCode::kDivergence,
                  "execve of " + ev.path + " failed in replay (" +
                      strerror(static_cast<int>(-result)) + ") but succeeded when recorded");
  }
  exec_path_ = ev.path;
  mapped_files_.clear();
  for (const trace::FileMapping& m : ev.mappings) {
    if (!m.file_id.empty()) mapped_files_[m.path] = reader_->FilePath(m.file_id);
  }
  RETURN_IF_ERROR(tracee_.ReopenMemory());
  patcher_.Reset();
  ASSIGN_OR_RETURN(uint64_t syscall_insn, patcher_.PatchVdso(tracee_));
  if (ev.cpuid_faulting) {
    auto call = arch().CpuidFaultingSyscall();
    int64_t r = -1;
    if (call) {
      SyscallArgs args;
      std::copy(call->begin() + 1, call->end(), args.v.begin());
      ASSIGN_OR_RETURN(r, InjectSyscall(tracee_, syscall_insn, (*call)[0], args));
    }
    if (r != 0) {
      return Status(ErrorCode::kUnsupported,
                    "the trace was recorded with cpuid faulting, which this machine lacks");
    }
  }
  if (!ev.at_random.empty()) {
    RETURN_IF_ERROR(tracee_.WriteMemory(ev.at_random_addr, ev.at_random));
  }
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(tracee_.tid()));
  std::vector<uint64_t> sites;
  for (const MemoryMapping& m : maps) {
    if (!m.is_file() || !(m.prot & PROT_EXEC)) continue;
    ASSIGN_OR_RETURN(std::vector<uint64_t> s, patcher_.PatchTrapSites(tracee_, m.start, m.end));
    sites.insert(sites.end(), s.begin(), s.end());
  }
  if (sites != ev.trap_sites) {
    return Diverged("the executable's code differs from the recording (" +
                    std::to_string(sites.size()) + " trap sites, recorded " +
                    std::to_string(ev.trap_sites.size()) + ")");
  }
  return Status::Ok();
}

Status ReplaySession::InjectPendingAsyncSignal() {
  ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
  if (!ev) return Status::Ok();
  auto* sig = std::get_if<trace::SignalEvent>(&ev->body);
  if (!sig || sig->synchronous || pending_signal_ != 0 || signal_queued_) return Status::Ok();
  if (!sig->fingerprint.empty()) {
    // Delivered where the recorder stopped the thread: wait for that state.
    if (fingerprint_breakpoint_) return Status::Ok();
    uint64_t pc = arch().Pc(FingerprintRegisters(*sig));
    RETURN_IF_ERROR(Plant(pc));
    fingerprint_breakpoint_ = pc;
    return Status::Ok();
  }
  // Queue it now; the resume below turns it into a signal-delivery-stop,
  // where the recorded siginfo replaces ours.
  if (syscall(SYS_tgkill, tracee_.tid(), tracee_.tid(), sig->signo) != 0) {
    return ErrnoError("sending the recorded " + SignalName(sig->signo));
  }
  signal_queued_ = true;
  return Status::Ok();
}

Expected<bool> ReplaySession::DeliverAtFingerprint(const arch::Registers& regs) {
  if (!fingerprint_breakpoint_) return false;
  ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
  auto* sig = ev ? std::get_if<trace::SignalEvent>(&ev->body) : nullptr;
  if (!sig || sig->fingerprint.empty()) return false;
  // Not byte for byte: the recorder read them at a SIGSTOP, replay at a
  // breakpoint or a single-step, and some architectures tell those apart in
  // the registers (AArch64 PSTATE.SS; see Arch::ClearStopArtifacts).
  if (!arch().SameProgramState(regs, FingerprintRegisters(*sig)) ||
      StackHash(tracee_, regs) != sig->stack_hash) {
    if (arch().Pc(regs) == *fingerprint_breakpoint_ && ++fingerprint_misses_ > kMaxFingerprintHits) {
      return Status(ErrorCode::kUnsupported,
                    "cannot place the recorded " + SignalName(sig->signo) + " (event " +
                        std::to_string(event_number()) + "): it arrived deep inside a loop "
                        "without syscalls, and finding that point again needs instruction "
                        "counting probes, which this rewind does not have yet");
    }
    return false;
  }
  fingerprint_misses_ = 0;
  uint64_t addr = *fingerprint_breakpoint_;
  fingerprint_breakpoint_.reset();
  if (!debugger_breakpoints_.count(addr)) RETURN_IF_ERROR(Unplant(addr));
  if (syscall(SYS_tgkill, tracee_.tid(), tracee_.tid(), sig->signo) != 0) {
    return ErrnoError("sending the recorded " + SignalName(sig->signo));
  }
  signal_queued_ = true;
  return true;
}

Expected<Stop> ReplaySession::OnSignalStop(int signo, bool step) {
  if (signo == SIGSTOP && interrupt_sent_) {
    interrupt_sent_ = false;
    return Stop(ReplayStop{ReplayStop::Kind::kInterrupted});
  }
  const arch::Arch& a = arch();
  ASSIGN_OR_RETURN(arch::Registers regs, tracee_.GetRegisters());
  uint64_t pc = a.Pc(regs);

  if (signo == SIGTRAP) {
    if (std::optional<int> hit = a.TakeHwWatchpointHit(tracee_.tid())) {
      ReplayStop stop;
      stop.kind = ReplayStop::Kind::kWatchpoint;
      stop.watch_index = *hit;
      if (*hit >= 0 && static_cast<size_t>(*hit) < watches_.size()) {
        stop.addr = watches_[*hit].addr;
      }
      // Watchpoints are reported after the access on every architecture.
      if (a.WatchpointTrapsBeforeAccess()) RETURN_IF_ERROR(StepOverWatchedAccess(tracee_, watches_));
      return Stop(stop);
    }
    uint64_t site = pc - a.BreakpointTrapPcOffset();
    // A single-step's trap can land just after a breakpoint address (a
    // one-byte instruction there); only a resumed thread hits breakpoints.
    if (!step && !patcher_.TrapSiteAt(site) && breakpoints_.count(site)) {
      a.SetPc(regs, site);
      RETURN_IF_ERROR(tracee_.SetRegisters(regs));
      if (fingerprint_breakpoint_ == site) {
        ASSIGN_OR_RETURN(bool queued, DeliverAtFingerprint(regs));
        if (queued) return Stop();  // the delivery stop follows at once
      }
      reported_breakpoint_ = site;
      if (!debugger_breakpoints_.count(site)) return Stop();  // ours: step over it
      ReplayStop stop;
      stop.kind = ReplayStop::Kind::kBreakpoint;
      stop.addr = site;
      return Stop(stop);
    }
  }

  // rdtsc/cpuid faults and patched rdrand sites: apply the recorded values.
  arch::TrapInsn insn;
  uint64_t insn_pc = pc;
  if (signo == SIGSEGV) {
    uint8_t code[16] = {};
    ASSIGN_OR_RETURN(size_t n, tracee_.ReadMemoryPartial(pc, code));
    insn = a.DecodeTrapInsn(std::span<const uint8_t>(code, n));
    if (insn.kind == arch::TrapInsnKind::kRdrand || insn.kind == arch::TrapInsnKind::kRdseed) {
      insn = arch::TrapInsn();  // those never fault by themselves
    }
  } else if (signo == SIGTRAP && (!step || step_from_pc_ == pc - a.BreakpointTrapPcOffset())) {
    uint64_t site = pc - a.BreakpointTrapPcOffset();
    if (auto patched = patcher_.TrapSiteAt(site)) {
      insn = *patched;
      insn_pc = site;
    }
  }
  ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
  if (insn.kind != arch::TrapInsnKind::kNone) {
    auto* trap = ev ? std::get_if<trace::InsnTrapEvent>(&ev->body) : nullptr;
    if (!trap || trap->kind != insn.kind || trap->pc != insn_pc) {
      return Diverged(std::string("expected ") + (ev ? trace::DescribeEvent(a, *ev) : "the end") +
                      ", saw " + trace::TrapInsnName(insn.kind) + " at pc " + Hex(insn_pc));
    }
    a.SetPc(regs, insn_pc);
    a.ApplyTrapInsn(regs, insn, trap->values);
    RETURN_IF_ERROR(tracee_.SetRegisters(regs));
    ConsumeEvent();
    return AfterEvent(step);
  }

  if (signo == SIGTRAP && step) {
    ASSIGN_OR_RETURN(bool queued, DeliverAtFingerprint(regs));
    (void)queued;  // if queued, the next resume delivers it
    return Stop(ReplayStop{ReplayStop::Kind::kStep});
  }

  auto* sig = ev ? std::get_if<trace::SignalEvent>(&ev->body) : nullptr;
  if (!sig || sig->signo != signo) {
    return Diverged(std::string("expected ") + (ev ? trace::DescribeEvent(a, *ev) : "the end") +
                    ", saw " + SignalName(signo) + " at pc " + Hex(pc));
  }
  if (!sig->synchronous) RETURN_IF_ERROR(tracee_.SetSiginfo(sig->siginfo));
  signal_queued_ = false;
  last_signal_ = *sig;
  ConsumeEvent();
  // The recording delivered it, so replay must too, whatever the debugger
  // does with the stop.
  pending_signal_ = signo;
  ReplayStop stop;
  stop.kind = ReplayStop::Kind::kSignal;
  stop.signo = signo;
  stop.addr = pc;
  return Stop(stop);
}

Expected<Stop> ReplaySession::OnExit(const WaitStatus& ws) {
  exited_ = ws;
  process_.MarkReaped();
  ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
  auto* exit = ev ? std::get_if<trace::ExitEvent>(&ev->body) : nullptr;
  if (!exit) {
    return Diverged("the process ended (" + ws.ToString() + ") but the recording expected " +
                    (ev ? trace::DescribeEvent(arch(), *ev) : std::string("more events")));
  }
  if (!SameExit(exit->wait_status, ws.raw)) {
    return Diverged("the process ended with " + ws.ToString() + "; the recording had " +
                    WaitStatus::FromRaw(ws.tid, exit->wait_status).ToString());
  }
  ConsumeEvent();
  ReplayStop stop;
  stop.kind = ReplayStop::Kind::kExited;
  stop.wait_status = exit->wait_status;
  return Stop(stop);
}

Expected<std::unique_ptr<ReplaySession>> ReplaySession::Fork() {
  if (!CanFork()) {
    return Status(ErrorCode::kInvalidInput,
                  "cannot take a checkpoint here (the process ended, the trace "
                  "ended, or a signal is about to be delivered)");
  }
  // The copy must not inherit our breakpoint instructions.
  std::span<const uint8_t> bp = arch().BreakpointInsn();
  for (const auto& [addr, original] : breakpoints_) {
    RETURN_IF_ERROR(tracee_.WriteMemory(addr, original));
  }
  Expected<pid_t> pid = ForkTracee(tracee_, patcher_.syscall_insn());
  for (const auto& [addr, original] : breakpoints_) {
    RETURN_IF_ERROR(tracee_.WriteMemory(addr, bp));
  }
  if (!pid.ok()) return pid.status();
  Process process(*pid);
  Tracee tracee(*pid, arch());
  ReplayOptions options = options_;
  options.echo_output = false;
  std::unique_ptr<ReplaySession> copy(
      new ReplaySession(reader_, std::move(process), std::move(tracee), options));
  copy->cursor_ = cursor_;
  copy->next_ = next_;
  copy->patcher_ = patcher_;
  copy->last_signal_ = last_signal_;
  copy->recorded_pid_ = recorded_pid_;
  copy->exec_path_ = exec_path_;
  copy->mapped_files_ = mapped_files_;
  copy->signal_queued_ = false;
  copy->at_boundary_ = at_boundary_;
  return copy;
}

Status ReplaySession::Plant(uint64_t addr) {
  if (breakpoints_.count(addr)) return Status::Ok();
  std::span<const uint8_t> bp = arch().BreakpointInsn();
  ASSIGN_OR_RETURN(std::vector<uint8_t> original, tracee_.ReadBytes(addr, bp.size()));
  RETURN_IF_ERROR(tracee_.WriteMemory(addr, bp));
  breakpoints_[addr] = std::move(original);
  return Status::Ok();
}

Status ReplaySession::Unplant(uint64_t addr) {
  auto it = breakpoints_.find(addr);
  if (it == breakpoints_.end()) return Status::Ok();
  Status s = exited_ ? Status::Ok() : tracee_.WriteMemory(addr, it->second);
  breakpoints_.erase(it);
  return s;
}

Status ReplaySession::InsertBreakpoint(uint64_t addr) {
  debugger_breakpoints_.insert(addr);
  Status planted = Plant(addr);
  if (!planted.ok()) {
    // Not mapped (yet): gdb keeps breakpoints in libraries inserted even
    // at points of the past before the library was loaded.
    deferred_breakpoints_.insert(addr);
  }
  return Status::Ok();
}

Status ReplaySession::RefreshBreakpoints() {
  // A mapping replaced or removed the memory under some breakpoints (ld.so
  // maps a library's text over its first, read-only mapping): plant again
  // where there is memory, defer the rest.
  std::span<const uint8_t> bp = arch().BreakpointInsn();
  for (auto it = breakpoints_.begin(); it != breakpoints_.end();) {
    auto now = tracee_.ReadBytes(it->first, bp.size());
    if (!now.ok()) {
      if (debugger_breakpoints_.count(it->first)) deferred_breakpoints_.insert(it->first);
      it = breakpoints_.erase(it);
      continue;
    }
    if (!std::equal(now->begin(), now->end(), bp.begin())) {
      it->second = *now;
      RETURN_IF_ERROR(tracee_.WriteMemory(it->first, bp));
    }
    ++it;
  }
  return PlantDeferred();
}

Status ReplaySession::PlantDeferred() {
  for (auto it = deferred_breakpoints_.begin(); it != deferred_breakpoints_.end();) {
    if (Plant(*it).ok()) {
      it = deferred_breakpoints_.erase(it);
    } else {
      ++it;
    }
  }
  return Status::Ok();
}

Status ReplaySession::RemoveBreakpoint(uint64_t addr) {
  debugger_breakpoints_.erase(addr);
  deferred_breakpoints_.erase(addr);
  if (fingerprint_breakpoint_ == addr) return Status::Ok();
  return Unplant(addr);
}

Expected<bool> ReplaySession::SetWatchpoints(const std::vector<arch::HwWatch>& watches) {
  if (!arch().SetHwWatchpoints(tracee_.tid(), watches)) return false;
  watches_ = watches;
  return true;
}

Expected<std::vector<uint8_t>> ReplaySession::ReadMemory(uint64_t addr, size_t len) const {
  std::vector<uint8_t> bytes(len);
  ASSIGN_OR_RETURN(size_t n, tracee_.ReadMemoryPartial(addr, bytes));
  if (n == 0 && len > 0) {
    return Status(ErrorCode::kInvalidInput, "cannot access memory at address " + Hex(addr));
  }
  bytes.resize(n);
  patcher_.Unpatch(addr, bytes);
  for (const auto& [bp, original] : breakpoints_) {
    for (size_t i = 0; i < original.size(); ++i) {
      if (bp + i >= addr && bp + i < addr + n) bytes[bp + i - addr] = original[i];
    }
  }
  return bytes;
}

}  // namespace rwd::replayer
