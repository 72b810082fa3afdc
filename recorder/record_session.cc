#include "recorder/record_session.h"

#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "core/proc_maps.h"
#include "core/remote_syscall.h"
#include "core/stack_hash.h"
#include "core/wakeup_timer.h"
#include "recorder/trace_header_builder.h"

namespace rwd::recorder {

namespace {

constexpr unsigned long kPtraceOptions =
    PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
constexpr auto kFlushInterval = std::chrono::milliseconds(500);
constexpr size_t kAtRandomBytes = 16;
// How long an asynchronous signal may wait for the thread's next syscall
// before the recorder stops the thread and places the signal by fingerprint.
constexpr auto kSignalDelay = std::chrono::milliseconds(20);

bool IsStopSignal(int signo) {
  return signo == SIGSTOP || signo == SIGTSTP || signo == SIGTTIN || signo == SIGTTOU;
}

int ShellStatus(const WaitStatus& ws) {
  return ws.kind == WaitStatus::Kind::kKilled ? 128 + ws.signo : ws.exit_code;
}

bool IsTimeStampOrCpuid(arch::TrapInsnKind kind) {
  return kind == arch::TrapInsnKind::kRdtsc || kind == arch::TrapInsnKind::kRdtscp ||
         kind == arch::TrapInsnKind::kCpuid;
}

// Faults the CPU raises again at the same instruction when replayed.
bool IsSynchronousFault(int signo, const std::vector<uint8_t>& siginfo) {
  int si_code = 0;
  if (siginfo.size() >= 12) std::memcpy(&si_code, siginfo.data() + 8, sizeof(si_code));
  bool fault_signal = signo == SIGSEGV || signo == SIGBUS || signo == SIGFPE ||
                      signo == SIGILL || signo == SIGTRAP;
  return fault_signal && si_code > 0;
}

Expected<std::vector<std::string>> ReadArgv(const Tracee& t, uint64_t argv_ptr) {
  std::vector<std::string> argv;
  for (uint64_t i = 0; argv_ptr != 0 && i < 4096; ++i) {
    ASSIGN_OR_RETURN(auto p, t.Read<uint64_t>(argv_ptr + 8 * i));
    if (p == 0) break;
    ASSIGN_OR_RETURN(std::string s, t.ReadCString(p, 1 << 20));
    argv.push_back(std::move(s));
  }
  return argv;
}

}  // namespace

Expected<std::unique_ptr<RecordSession>> RecordSession::Start(const RecordOptions& options) {
  if (options.argv.empty()) return Status(ErrorCode::kInvalidInput, "no program to record");
  ASSIGN_OR_RETURN(std::string exe, ResolveExecutable(options.argv[0]));
  // Tracer and tracee share one CPU: a ptrace stop costs ~10x more when
  // they sit on different vCPUs.
  ASSIGN_OR_RETURN(int cpu, PinToCpu(-1));
  trace::TraceHeader header = BuildHeader(exe, options.argv, options.envp, cpu);
  ASSIGN_OR_RETURN(auto writer, trace::TraceWriter::Create(options.trace_dir, header));

  SpawnOptions spawn;
  spawn.exe = exe;
  spawn.argv = options.argv;
  spawn.envp = options.envp;
  spawn.cwd = header.cwd;
  spawn.cpu = cpu;
  ASSIGN_OR_RETURN(Process process, Process::Spawn(spawn, kPtraceOptions));
  Tracee tracee(process.pid(), arch::HostArch());
  // Ctrl-C belongs to the program, as without rewind; the recorder keeps
  // going so the trace stays complete.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  return std::unique_ptr<RecordSession>(
      new RecordSession(std::move(process), std::move(tracee), std::move(writer)));
}

RecordSession::RecordSession(Process process, Tracee tracee,
                             std::unique_ptr<trace::TraceWriter> writer)
    : process_(std::move(process)),
      tracee_(std::move(tracee)),
      writer_(std::move(writer)),
      last_flush_(std::chrono::steady_clock::now()) {}

Status RecordSession::Append(trace::EventBody body) {
  trace::Event event;
  event.tid = tracee_.tid();
  event.body = std::move(body);
  RETURN_IF_ERROR(writer_->Append(event));
  // Bound what a killed recorder loses to the last half second.
  auto now = std::chrono::steady_clock::now();
  if (now - last_flush_ > kFlushInterval) {
    last_flush_ = now;
    RETURN_IF_ERROR(writer_->Flush());
  }
  return Status::Ok();
}

Status RecordSession::Fail(Status status) {
  Status flushed = writer_->Flush();
  process_.Kill();
  std::string kept = " (the trace up to event " + std::to_string(writer_->events_written()) +
                     " is kept in " + writer_->dir() + ")";
  if (!flushed.ok()) kept = " (the trace could not be saved: " + flushed.message() + ")";
  return Status(status.code(), status.message() + kept);
}

Expected<int> RecordSession::Run() {
  RETURN_IF_ERROR(tracee_.Resume(ResumeMode::kSyscall));
  while (true) {
    auto waited = WaitForTracee();
    if (!waited.ok()) return Fail(waited.status());
    const WaitStatus& ws = *waited;
    int deliver = 0;
    Status status;
    switch (ws.kind) {
      case WaitStatus::Kind::kSyscallStop: {
        auto info = tracee_.GetSyscallInfo();
        if (!info.ok()) return Fail(info.status());
        bool entry = info->op == SyscallStopInfo::Op::kEntry;
        status = entry ? OnSyscallEntry(*info) : OnSyscallExit(*info);
        if (entry && status.ok()) deliver = TakeDeferredSignal();
        boundary_regs_.reset();
        if (!entry && status.ok()) {
          auto regs = tracee_.GetRegisters();
          if (regs.ok()) boundary_regs_ = *regs;
        }
        break;
      }
      case WaitStatus::Kind::kPtraceEvent:
      case WaitStatus::Kind::kGroupStop:
        break;  // the exec's syscall-exit stop follows; handled there
      case WaitStatus::Kind::kSignalStop: {
        auto sig = OnSignal(ws.signo);
        if (!sig.ok()) return Fail(sig.status());
        deliver = *sig;
        break;
      }
      case WaitStatus::Kind::kExited:
      case WaitStatus::Kind::kKilled: {
        process_.MarkReaped();
        Status appended = Append(trace::ExitEvent{ws.raw});
        if (!appended.ok()) return appended;
        RETURN_IF_ERROR(writer_->Finish());
        return ShellStatus(ws);
      }
    }
    if (!status.ok()) return Fail(status);
    Status resumed = tracee_.Resume(ResumeMode::kSyscall, deliver);
    if (!resumed.ok()) return Fail(resumed);
  }
}

Status RecordSession::OnSyscallEntry(const SyscallStopInfo& info) {
  const arch::Arch& arch = tracee_.arch();
  const arch::SyscallInfo* row = arch.syscalls().Find(info.nr);
  if (!row) {
    return Status(ErrorCode::kUnsupported, "syscall '" + arch.syscalls().NameOf(info.nr) +
                                               "' (number " + std::to_string(info.nr) +
                                               ") is not supported by the recorder");
  }
  if (row->special == arch::Special::kClone) {
    return Status(ErrorCode::kUnsupported,
                  "syscall '" + std::string(row->name) +
                      "' is not supported by the recorder yet: rewind records "
                      "single-threaded, single-process programs");
  }
  PendingSyscall pending;
  pending.info = row;
  pending.nr = info.nr;
  pending.args = info.args;
  pending.snapshot = SnapshotAtEntry(tracee_, *row, info.args);
  if (row->special == arch::Special::kExecve) {
    bool at = row->name == "execveat";
    auto path = tracee_.ReadCString(info.args[at ? 1 : 0]);
    auto argv = ReadArgv(tracee_, info.args[at ? 2 : 1]);
    if (path.ok()) pending.exec_path = *path;
    if (argv.ok()) pending.exec_argv = *argv;
  }
  if (row->action == arch::ReplayAction::kDeny) {
    // An invalid number makes the kernel skip the syscall; exit sets the errno.
    ASSIGN_OR_RETURN(arch::Registers regs, tracee_.GetRegisters());
    if (!arch.SetSyscallNumberAtEntry(tracee_.tid(), regs, -1)) {
      return ErrnoError("skipping the denied syscall '" + std::string(row->name) + "'");
    }
  }
  pending_ = std::move(pending);
  return Status::Ok();
}

Status RecordSession::OnSyscallExit(const SyscallStopInfo& info) {
  if (!pending_) return Status::Ok();  // exit of a syscall begun before tracing
  PendingSyscall pending = std::move(*pending_);
  pending_.reset();
  const arch::Arch& arch = tracee_.arch();
  int64_t result = info.result;
  if (pending.info->action == arch::ReplayAction::kDeny) {
    ASSIGN_OR_RETURN(arch::Registers regs, tracee_.GetRegisters());
    result = -pending.info->deny_errno;
    arch.SetSyscallResult(regs, result);
    RETURN_IF_ERROR(tracee_.SetRegisters(regs));
  }
  if (pending.info->special == arch::Special::kExecve && result == 0) {
    pending_exec_path_ = pending.exec_path;
    pending_exec_argv_ = pending.exec_argv;
    return RecordExec();
  }
  trace::SyscallEvent event;
  event.nr = pending.nr;
  event.args = pending.args;
  event.result = result;
  ASSIGN_OR_RETURN(std::vector<MemRange> ranges,
                   OutputRanges(tracee_, *pending.info, pending.args, result, pending.snapshot));
  for (const MemRange& r : ranges) {
    trace::MemWrite w;
    w.addr = r.addr;
    ASSIGN_OR_RETURN(w.bytes, tracee_.ReadBytes(r.addr, r.len));
    event.writes.push_back(std::move(w));
  }
  if (result >= 0) {
    arch::Special special = pending.info->special;
    if (special == arch::Special::kMmap) RETURN_IF_ERROR(RecordMmap(event));
    if (special == arch::Special::kMprotect && (event.args[2] & PROT_EXEC)) {
      RETURN_IF_ERROR(
          patcher_.PatchTrapSites(tracee_, event.args[0], event.args[0] + event.args[1]).status());
    }
  }
  return Append(std::move(event));
}

Status RecordSession::RecordMmap(trace::SyscallEvent& event) {
  uint64_t addr = static_cast<uint64_t>(event.result);
  uint64_t len = event.args[1];
  int fd = static_cast<int>(event.args[4]);
  if (!(event.args[3] & MAP_ANONYMOUS) && fd >= 0) {
    std::string link = "/proc/" + std::to_string(tracee_.tid()) + "/fd/" + std::to_string(fd);
    char target[4096];
    ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    event.mapped_path = n > 0 ? std::string(target, n) : link;
    ScopedFd file(open(link.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file.valid()) return ErrnoError("opening the file mapped by mmap: " + event.mapped_path);
    ASSIGN_OR_RETURN(event.mapped_file_id, writer_->StoreFile(file.get(), event.mapped_path));
  }
  if (event.args[2] & PROT_EXEC) {
    RETURN_IF_ERROR(patcher_.PatchTrapSites(tracee_, addr, addr + len).status());
  }
  return Status::Ok();
}

Status RecordSession::RecordExec() {
  const arch::Arch& arch = tracee_.arch();
  RETURN_IF_ERROR(tracee_.ReopenMemory());
  patcher_.Reset();
  file_ids_.clear();
  trace::ExecEvent exec;
  exec.path = pending_exec_path_;
  exec.argv = pending_exec_argv_;
  ASSIGN_OR_RETURN(uint64_t syscall_insn, patcher_.PatchVdso(tracee_));
  if (auto call = arch.CpuidFaultingSyscall()) {
    SyscallArgs args;
    std::copy(call->begin() + 1, call->end(), args.v.begin());
    ASSIGN_OR_RETURN(int64_t r, InjectSyscall(tracee_, syscall_insn, (*call)[0], args));
    exec.cpuid_faulting = r == 0;
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> auxv, ReadAuxvBytes(tracee_.tid()));
  if (auto at_random = AuxvValue(auxv, AT_RANDOM)) {
    exec.at_random_addr = *at_random;
    ASSIGN_OR_RETURN(exec.at_random, tracee_.ReadBytes(*at_random, kAtRandomBytes));
  }
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(tracee_.tid()));
  for (const MemoryMapping& m : maps) {
    if (!m.is_file()) continue;
    auto known = file_ids_.find(m.path);
    if (known == file_ids_.end()) {
      ASSIGN_OR_RETURN(std::string id, writer_->StoreFile(-1, m.path));
      known = file_ids_.emplace(m.path, id).first;
    }
    trace::FileMapping fm{m.start, m.end, m.offset, m.prot,
                          uint32_t(m.shared ? MAP_SHARED : MAP_PRIVATE), m.path, known->second};
    if (fm.path == exec.path || exec.exe_file_id.empty()) exec.exe_file_id = fm.file_id;
    exec.mappings.push_back(std::move(fm));
    if (m.prot & PROT_EXEC) {
      ASSIGN_OR_RETURN(std::vector<uint64_t> sites,
                       patcher_.PatchTrapSites(tracee_, m.start, m.end));
      exec.trap_sites.insert(exec.trap_sites.end(), sites.begin(), sites.end());
    }
  }
  return Append(std::move(exec));
}

Expected<bool> RecordSession::EmulateTrapInsn(int signo, arch::Registers& regs) {
  const arch::Arch& arch = tracee_.arch();
  uint64_t pc = arch.Pc(regs);
  arch::TrapInsn insn;
  if (signo == SIGSEGV) {
    uint8_t code[16] = {};
    ASSIGN_OR_RETURN(size_t n, tracee_.ReadMemoryPartial(pc, code));
    insn = arch.DecodeTrapInsn(std::span<const uint8_t>(code, n));
    if (!IsTimeStampOrCpuid(insn.kind)) return false;
  } else if (signo == SIGTRAP) {
    uint64_t site = pc - arch.BreakpointTrapPcOffset();
    std::optional<arch::TrapInsn> patched = patcher_.TrapSiteAt(site);
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
  event.values = arch.ExecuteTrapInsn(regs, insn);
  arch.ApplyTrapInsn(regs, insn, event.values);
  RETURN_IF_ERROR(tracee_.SetRegisters(regs));
  RETURN_IF_ERROR(Append(std::move(event)));
  return true;
}

Expected<WaitStatus> RecordSession::WaitForTracee() {
  if (deferred_.empty() || stop_sent_) return tracee_.Wait();
  ScopedWakeupTimer timer(std::chrono::milliseconds(5));
  return tracee_.Wait([this]() {
    if (stop_sent_ || std::chrono::steady_clock::now() < defer_deadline_) return;
    // The thread reached no syscall in time (it may be busy-waiting for the
    // very handler we hold back): stop it where it is.
    if (syscall(SYS_tgkill, tracee_.tid(), tracee_.tid(), SIGSTOP) == 0) stop_sent_ = true;
  });
}

int RecordSession::TakeDeferredSignal() {
  if (deferred_.empty() || reinjected_) return 0;
  // Resuming a syscall-entry stop with a signal queues it before the
  // syscall runs: a blocking call returns early, as it would have, and the
  // delivery follows the syscall's exit, a point replay reaches exactly.
  reinjected_ = std::move(deferred_.front());
  deferred_.erase(deferred_.begin());
  if (!deferred_.empty()) defer_deadline_ = std::chrono::steady_clock::now() + kSignalDelay;
  return reinjected_->signo;
}

Status RecordSession::RecordSignal(int signo, const std::vector<uint8_t>& siginfo,
                                   const arch::Registers& regs, bool with_fingerprint) {
  trace::SignalEvent event;
  event.signo = signo;
  event.siginfo = siginfo;
  event.pc = tracee_.arch().Pc(regs);
  event.synchronous = IsSynchronousFault(signo, siginfo);
  if (with_fingerprint) {
    event.fingerprint.assign(regs.data(), regs.data() + tracee_.arch().gp_regs_size());
    event.stack_hash = StackHash(tracee_, regs);
  }
  return Append(std::move(event));
}

Expected<int> RecordSession::OnSignal(int signo) {
  auto siginfo = tracee_.GetSiginfo();
  if (!siginfo.ok()) return 0;  // a group-stop, not a signal delivery
  ASSIGN_OR_RETURN(arch::Registers regs, tracee_.GetRegisters());
  ASSIGN_OR_RETURN(bool emulated, EmulateTrapInsn(signo, regs));
  if (emulated) return 0;

  if (signo == SIGSTOP && stop_sent_) {
    // Our stop: deliver the oldest deferred signal here instead, and record
    // where "here" is.
    stop_sent_ = false;
    if (deferred_.empty()) return 0;
    DeferredSignal d = std::move(deferred_.front());
    deferred_.erase(deferred_.begin());
    if (!deferred_.empty()) defer_deadline_ = std::chrono::steady_clock::now() + kSignalDelay;
    RETURN_IF_ERROR(tracee_.SetSiginfo(d.siginfo));
    RETURN_IF_ERROR(RecordSignal(d.signo, d.siginfo, regs, /*with_fingerprint=*/true));
    return d.signo;
  }
  if (reinjected_ && signo == reinjected_->signo) {
    // The deferred signal arriving after the syscall it was queued at; it
    // carries the sender's siginfo, not ours.
    DeferredSignal d = std::move(*reinjected_);
    reinjected_.reset();
    RETURN_IF_ERROR(tracee_.SetSiginfo(d.siginfo));
    RETURN_IF_ERROR(RecordSignal(signo, d.siginfo, regs, /*with_fingerprint=*/false));
    return signo;
  }
  // Compared as program state: on AArch64 the syscall-exit stop reads x7 as
  // 1, this signal stop reads the program's x7.
  bool at_boundary = boundary_regs_ && tracee_.arch().SameProgramState(*boundary_regs_, regs);
  if (!at_boundary && !IsSynchronousFault(signo, *siginfo) && !IsStopSignal(signo)) {
    // Asynchronous: hold it back until the next syscall (a signal may
    // always arrive later). A standard signal already pending is merged,
    // as the kernel would.
    bool pending = false;
    for (const DeferredSignal& d : deferred_) pending |= d.signo == signo;
    if (!pending || signo >= SIGRTMIN) {
      if (deferred_.empty()) defer_deadline_ = std::chrono::steady_clock::now() + kSignalDelay;
      deferred_.push_back(DeferredSignal{signo, *siginfo});
    }
    return 0;
  }
  RETURN_IF_ERROR(RecordSignal(signo, *siginfo, regs, /*with_fingerprint=*/false));
  return signo;
}

}  // namespace rwd::recorder
