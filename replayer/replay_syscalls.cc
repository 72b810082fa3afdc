// SyscallReplayer: syscalls (exec: replay_exec.cc; process tree and exits:
// replay_tree.cc).
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstring>
#include <utility>

#include "arch/siginfo_view.h"
#include "base/hex.h"
#include "core/mmap_flags.h"
#include "core/proc_maps.h"
#include "core/remote_syscall.h"
#include "preload/syscallbuf_abi.h"
#include "replayer/replay_session.h"
#include "trace/buffer_records.h"
#include "trace/event_format.h"

namespace rwd::replayer {

namespace {

// MAP_FIXED_NOREPLACE would refuse to map over what replay itself mapped.
constexpr uint64_t kMapFixedNoReplace = 0x100000;

// The addresses a recorded mmap, munmap, mremap or mprotect changed (for
// mremap, from the lower of its old and new ranges to the higher's end).
std::pair<uint64_t, uint64_t> ChangedRange(const arch::SyscallInfo& row,
                                           const trace::SyscallEvent& ev) {
  if (ev.result < 0) return {0, 0};
  switch (row.special) {
    case arch::Special::kMmap:
      return {static_cast<uint64_t>(ev.result), static_cast<uint64_t>(ev.result) + ev.args[1]};
    case arch::Special::kMremap: {
      const uint64_t to = static_cast<uint64_t>(ev.result);
      return {std::min(ev.args[0], to), std::max(ev.args[0] + ev.args[1], to + ev.args[2])};
    }
    default:
      return {ev.args[0], ev.args[0] + ev.args[1]};
  }
}

using Stop = std::optional<ReplayStop>;

// Signals of the replay's own making that may interrupt one re-executed
// syscall before replay calls it a divergence.
constexpr int kMaxForeignSignals = 64;

// siginfo_t's si_code for a SIGSYS a seccomp filter raised (SYS_SECCOMP).
constexpr int kSysSeccomp = 1;

// The kernel's internal restart errnos (linux/errno.h): a syscall a signal
// interrupted reports one at its exit stop; the kernel then restarts it
// unless a handler runs that ends it with EINTR.
constexpr int64_t kErestartSys = -512;
constexpr int64_t kEnoIoctlCmd = -515;  // in that range, but no restart
constexpr int64_t kErestartRestartBlock = -516;

// How far ahead a restart looks for its thread's signal: the recorder
// records a signal's delivery right after the interrupted syscall's exit
// in that thread, with other threads' events in between at most.
constexpr uint64_t kRestartLookahead = 4096;

void WriteAll(int fd, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

// The table's kExecute rows, and prctl(PR_SET_NAME), because a thread's name
// is the kernel's and debuggers read it there. A call that failed when
// recorded changed nothing, and the failure may have been the program's
// seccomp filter's answer, which replay has no filter to give: it is
// emulated. ENOMEM is the exception: madvise and mprotect report it after
// changing the part of the range that is mapped; and so is madvise's
// EINVAL, which MADV_DONTNEED reports at a locked page after clearing the
// pages before it. A new stack limit of the
// caller's own process runs too: an exec after it (`ulimit -s` in a shell)
// has the argument space and the stack the limit gives.
void SyscallReplayer::TrackForkAdvice(const arch::SyscallInfo& row,
                                      const trace::SyscallEvent& ev) {
  cur().mm->fork_advice.Track(row.special, ev.args, ev.result);
}

bool SyscallReplayer::RunsForReal(const arch::SyscallInfo& row, const trace::SyscallEvent& ev) {
  if (row.special == arch::Special::kPrctl) return ev.args[0] == PR_SET_NAME && ev.result >= 0;
  if (row.special == arch::Special::kSetRlimit) return ev.result >= 0 && ev.args[0] == RLIMIT_STACK;
  if (row.special == arch::Special::kPrlimit) {
    return ev.result >= 0 && ev.args[0] == 0 && ev.args[1] == RLIMIT_STACK && ev.args[2] != 0;
  }
  // Replay's checkpoints are forks, which must keep all of the memory
  // (core/fork_advice.h).
  const bool madvise = row.special == arch::Special::kMadvise;
  if (madvise && ForkAdvice::IsForkAdvice(ev.args[2])) return false;
  const bool partly_done = ev.result == -ENOMEM || (ev.result == -EINVAL && madvise);
  if (ev.result < 0 && !partly_done && row.special != arch::Special::kRtSigreturn) {
    return false;
  }
  return row.action == arch::ReplayAction::kExecute && row.special != arch::Special::kClone;
}

Expected<Stop> SyscallReplayer::ReplaySyscall(bool step) {
  const arch::Arch& a = arch();
  ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
  int64_t nr = a.SyscallNumber(regs);
  std::array<uint64_t, 6> args;
  for (int i = 0; i < 6; ++i) args[i] = a.SyscallArg(regs, i);
  // For divergence messages only: not formatted on the common path.
  auto seen = [&]() { return trace::DescribeSyscall(a, nr, args); };

  if (nr == RWD_SB_DIVERGED && s_.cur_ && cur().syscallbuf != 0)
    return s_.syscallbuf_.SyscallBufferDiverged();
  ASSIGN_OR_RETURN(bool buffered, s_.syscallbuf_.ReplayExpandedBufferedSyscall(nr, args, regs));
  // Not an event: the thread goes on in the stretch before its next one.
  if (buffered) return step ? Stop(MakeStop(ReplayStop::Kind::kStep)) : Stop();
  RETURN_IF_ERROR(s_.syscallbuf_.CheckSyscallBatchDone(seen));
  ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
  if (!ev) {
    // Leave the thread at the syscall entry; continuing again reports the
    // same end instead of running past the recording.
    s_.at_end_ = true;
    return Stop(s_.EndOfTrace());
  }
  const arch::SyscallInfo* row = a.syscalls().Lookup(nr);
  if (auto* exec = std::get_if<trace::ExecEvent>(&ev->body)) {
    if (!row || row->special != arch::Special::kExecve) {
      return Diverged("expected execve of " + exec->path + ", saw " + seen());
    }
    trace::ExecEvent copy = *exec;
    ConsumeEvent();
    RETURN_IF_ERROR(s_.lifecycle_.ReplayExec(copy));
  } else if (auto* exit = std::get_if<trace::ExitEvent>(&ev->body)) {
    if (!row ||
        (row->special != arch::Special::kExitGroup && row->special != arch::Special::kExit)) {
      return Diverged("expected the " + std::string(exit->whole_process ? "process" : "thread") +
                      " to exit, saw " + seen());
    }
    if (!exit->whole_process && cur().tid == cur().tgid) {
      // The leader's own exit while other threads go on: the kernel keeps
      // it as a zombie and reports nothing until they end.
      ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
      a.RewindToSyscallInsn(regs);
      RETURN_IF_ERROR(tracee().SetRegisters(regs));
      RETURN_IF_ERROR(tracee().Resume(ResumeMode::kSyscall));
      ASSIGN_OR_RETURN(WaitStatus entered, tracee().Wait());
      (void)entered;
      RETURN_IF_ERROR(tracee().Resume(ResumeMode::kSyscall));
      ConsumeEvent();
      s_.cur_->zombie = true;
      s_.cur_ = nullptr;
      return AfterEvent(step);
    }
    if (s_.options_.keep_focus_at_exit && exit->whole_process && InFocus(cur())) {
      // Left at the syscall entry, as at the end of a trace cut short:
      // continuing again reports the same end.
      s_.at_end_ = true;
      s_.exit_ahead_ = exit->wait_status;
      return Stop(s_.EndOfTrace());
    }
    std::optional<WaitStatus> exited;
    RETURN_IF_ERROR(ExecuteInPlace(std::nullopt, &exited).status());
    if (!exited) return Diverged("exit syscall returned");
    return s_.lifecycle_.OnExit(*exited);
  } else if (auto* entry = std::get_if<trace::SyscallEntryEvent>(&ev->body)) {
    if (entry->nr != nr || entry->args != args) {
      return Diverged("expected " + trace::DescribeSyscall(a, entry->nr, entry->args) +
                      " to block, saw " + seen());
    }
    ConsumeEvent();
    // Other threads ran while this one was in the syscall; it waits here for
    // its SyscallEvent.
    cur().at_syscall_entry = true;
    return AfterEvent(step);
  } else if (auto* sc = std::get_if<trace::SyscallEvent>(&ev->body)) {
    if (sc->nr != nr) {
      return Diverged("expected " + trace::DescribeSyscall(a, sc->nr, sc->args) + ", saw " +
                      seen());
    }
    for (int i = 0; i < 6; ++i) {
      if (sc->args[i] != args[i]) {
        return Diverged(seen() + ": argument " + std::to_string(i + 1) + " is " + Hex(args[i]) +
                        "; the recording had " + Hex(sc->args[i]));
      }
    }
    if (!row) return Diverged("syscall " + seen() + " is not in this rewind's syscall table");
    trace::SyscallEvent copy = std::move(*sc);
    ConsumeEvent();
    if (row->special == arch::Special::kClone && copy.result > 0) {
      RETURN_IF_ERROR(s_.lifecycle_.ExecuteClone(*row, copy));
    } else if (RunsForReal(*row, copy)) {
      ASSIGN_OR_RETURN(bool trapped, NextIsSeccompTrap());
      if (trapped) {
        RETURN_IF_ERROR(EmulateSyscall(*row, copy, regs));
      } else {
        RETURN_IF_ERROR(ExecuteSyscall(*row, copy));
      }
    } else if (IsMaskedWait(*row) && copy.result < 0) {
      RETURN_IF_ERROR(ReplayMaskedWait(*row, copy));
    } else {
      RETURN_IF_ERROR(EmulateSyscall(*row, copy, regs));
      RETURN_IF_ERROR(RestartIfNoSignalCame(*row, copy, regs));
    }
    if (copy.nr == RWD_SB_REGISTER && copy.result == 0) {
      RETURN_IF_ERROR(s_.syscallbuf_.RegisterSyscallBuffer(copy.args[0]));
      if (copy.args[4] == RWD_SB_REGISTER_PATCHING)
        RETURN_IF_ERROR(s_.breakpoints_.SuspendDebuggerBreakpoints());
    }
    if (copy.result >= 0) TrackForkAdvice(*row, copy);
    for (const trace::FileWrite& w : copy.file_writes) RETURN_IF_ERROR(s_.shared_copies_->Write(w));
    if (copy.nr == RWD_SB_READY) {
      RETURN_IF_ERROR(s_.breakpoints_.ResumeDebuggerBreakpoints());
      ASSIGN_OR_RETURN(cur().mm->library_code, LibraryCode::Find(tracee(), cur().mm->mapped_files));
    }
  } else {
    return Diverged("expected " + trace::DescribeEvent(a, *ev) + ", saw syscall " + seen());
  }
  return AfterEvent(step);
}

Status SyscallReplayer::RestartIfNoSignalCame(const arch::SyscallInfo& row,
                                              const trace::SyscallEvent& ev,
                                              arch::Registers entry_regs) {
  if (ev.result < kErestartRestartBlock || ev.result > kErestartSys || ev.result == kEnoIoctlCmd ||
      row.special == arch::Special::kRtSigreturn) {
    return Status::Ok();
  }
  // A process-directed signal woke this thread out of its syscall, but
  // another thread took it first: with no signal left the kernel restarted
  // the syscall, and the recording has the new call next. Under
  // PTRACE_SYSEMU nothing is pending here, so the kernel would hand the
  // restart errno to the program; replay restarts it as the kernel did.
  ASSIGN_OR_RETURN(std::optional<trace::Event> next,
                   s_.events_.NextOfThread(cur().tid, kRestartLookahead));
  if (next && std::holds_alternative<trace::SignalEvent>(next->body)) return Status::Ok();
  const arch::Arch& a = arch();
  // AArch64 returns the result in x0, which the restart must get back.
  a.SetSyscallArg(entry_regs, 0, ev.args[0]);
  if (ev.result == kErestartRestartBlock) {
    a.SetSyscallNumber(entry_regs, a.syscalls().FindByName("restart_syscall")->nr);
  }
  a.RewindToSyscallInsn(entry_regs);
  return tracee().SetRegisters(entry_regs);
}

Expected<bool> SyscallReplayer::NextIsSeccompTrap() {
  // The program's filter answered the syscall with SECCOMP_RET_TRAP: the
  // kernel skipped it and raised SIGSYS, which the recording has next.
  ASSIGN_OR_RETURN(const trace::Event* next, PeekEvent());
  if (!next || next->tid != cur().tid) return false;
  const auto* signal = std::get_if<trace::SignalEvent>(&next->body);
  if (!signal || signal->signo != SIGSYS) return false;
  return arch::SiginfoView(signal->siginfo).code() == kSysSeccomp;
}

Status SyscallReplayer::EmulateSyscall(const arch::SyscallInfo& row, const trace::SyscallEvent& ev,
                                       arch::Registers regs) {
  for (const trace::MemWrite& w : ev.writes) {
    RETURN_IF_ERROR(tracee().WriteMemory(w.addr, w.bytes));
  }
  arch().SetSyscallResult(regs, ev.result);
  RETURN_IF_ERROR(tracee().SetRegisters(regs));
  // event_number() already counts this event.
  if (s_.options_.echo_output && event_number() > s_.echo_from_event_) EchoOutput(row, ev);
  return Status::Ok();
}

void SyscallReplayer::EchoOutput(const arch::SyscallInfo& row, const trace::SyscallEvent& ev) {
  int fd = ev.output_stream;
  if ((fd != 1 && fd != 2) || ev.result <= 0) return;
  std::vector<uint8_t> out;
  if (row.echo == arch::Echo::kBuffer) {
    auto bytes = tracee().ReadBytes(ev.args[1], static_cast<size_t>(ev.result));
    if (bytes.ok()) out = std::move(*bytes);
  } else if (row.echo == arch::Echo::kIovec) {
    uint64_t left = static_cast<uint64_t>(ev.result);
    for (uint64_t i = 0; i < ev.args[2] && left > 0; ++i) {
      auto base = tracee().Read<uint64_t>(ev.args[1] + 16 * i);
      auto len = tracee().Read<uint64_t>(ev.args[1] + 16 * i + 8);
      if (!base.ok() || !len.ok()) break;
      uint64_t n = std::min(*len, left);
      auto bytes = tracee().ReadBytes(*base, n);
      if (!bytes.ok()) break;
      out.insert(out.end(), bytes->begin(), bytes->end());
      left -= n;
    }
  } else {
    return;
  }
  EchoBytes(fd, out);
}

void SyscallReplayer::EchoBytes(int stream, std::span<const uint8_t> bytes) {
  WriteAll(stream == 1 ? s_.options_.stdout_fd : 2, bytes);
}

void SyscallReplayer::EchoBatchOutput(const trace::SyscallBatchEvent& batch) {
  if (!s_.options_.echo_output || event_number() < s_.echo_from_event_) return;
  // Checked when the batch was loaded.
  (void)trace::ForEachBufferRecord(
      batch.records, batch.count, arch().syscalls(), [&](const trace::BufferRecord& call) {
        if (call.output_stream == 0 || call.outputs.empty()) return;
        EchoBytes(call.output_stream, call.outputs.front().second);
      });
}

Status SyscallReplayer::ExecuteSyscall(const arch::SyscallInfo& row,
                                       const trace::SyscallEvent& ev) {
  // Per-thread kernel state a checkpoint's copy of the thread must get back.
  if (row.special == arch::Special::kSetTidAddress) cur().clear_child_tid = ev.args[0];
  if (row.special == arch::Special::kPrctl) {
    auto name = tracee().ReadCString(ev.args[1], 16);
    if (name.ok()) cur().name = *name;
  }
  std::optional<std::array<uint64_t, 6>> args;
  int64_t fd_to_close = -1;
  const arch::SyscallTable& table = arch().syscalls();
  if (row.special == arch::Special::kMmap && ev.result >= 0) {
    // Map exactly where the recording did, and the recorded bytes of files.
    args = ev.args;
    (*args)[0] = static_cast<uint64_t>(ev.result);
    (*args)[3] = ((*args)[3] | MAP_FIXED) & ~kMapFixedNoReplace;
    if (ev.mapped_file_id.empty() && ev.mapped_path == trace::kDevZeroPath) {
      (*args)[3] |= MAP_ANONYMOUS;  // what a mapping of /dev/zero is
      (*args)[4] = static_cast<uint64_t>(-1);
      (*args)[5] = 0;
    } else if (!ev.mapped_file_id.empty()) {
      ASSIGN_OR_RETURN(const std::string local, s_.reader_->LocalFileCopy(ev.mapped_file_id));
      std::string file = local;
      uint64_t access = O_RDONLY;
      if (MapsShared(ev.args[3])) {
        bool writable = (ev.args[2] & PROT_WRITE) || ev.mapped_file_writable;
        ASSIGN_OR_RETURN(std::string shared,
                         s_.shared_copies_->PathFor(ev.mapped_path, local, writable));
        if (!shared.empty()) {
          file = shared;
          access = O_RDWR;
        }
      }
      ASSIGN_OR_RETURN(uint64_t path, PushScratchString(tracee(), file));
      SyscallArgs open_args;
      open_args.v = {static_cast<uint64_t>(AT_FDCWD), path, access | O_CLOEXEC, 0, 0, 0};
      ASSIGN_OR_RETURN(int64_t fd, InjectSyscall(tracee(), patcher().syscall_insn(),
                                                 table.FindByName("openat")->nr, open_args));
      if (fd < 0) {
        return Status(ErrorCode::kNotFound, "cannot open the trace's copy of " + ev.mapped_path +
                                                ": " + strerror(static_cast<int>(-fd)));
      }
      (*args)[4] = static_cast<uint64_t>(fd);
      fd_to_close = fd;
      cur().mm->mapped_files[ev.mapped_path] = local;
    }
  }
  const bool remaps =
      row.special == arch::Special::kMmap || row.special == arch::Special::kMunmap ||
      row.special == arch::Special::kMremap || row.special == arch::Special::kMprotect;
  const auto [changed_start, changed_end] = ChangedRange(row, ev);
  if (remaps) RETURN_IF_ERROR(s_.code_guard_.BeforeMappingChange(changed_start, changed_end));
  std::optional<WaitStatus> exited;
  ASSIGN_OR_RETURN(int64_t result, ExecuteInPlace(args, &exited));
  if (exited) return Diverged(std::string(row.name) + " ended the process");
  if (args) {
    // The program must see its own argument registers, not our overrides.
    ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
    for (int i = 0; i < 6; ++i) arch().SetSyscallArg(regs, i, ev.args[i]);
    // Where the result register is also an argument register (AArch64 x0),
    // the program sees the result.
    arch().SetSyscallResult(regs, result);
    RETURN_IF_ERROR(tracee().SetRegisters(regs));
  }
  if (fd_to_close >= 0) {
    SyscallArgs close_args;
    close_args.v[0] = static_cast<uint64_t>(fd_to_close);
    RETURN_IF_ERROR(
        InjectSyscall(tracee(), patcher().syscall_insn(), table.FindByName("close")->nr, close_args)
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
    ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
    arch().SetSyscallResult(regs, ev.result);
    RETURN_IF_ERROR(tracee().SetRegisters(regs));
  }
  // Restore memory the kernel wrote in the recording (e.g. old sigaction),
  // which the real call just wrote too; recorded bytes are authoritative.
  for (const trace::MemWrite& w : ev.writes) {
    RETURN_IF_ERROR(tracee().WriteMemory(w.addr, w.bytes));
  }
  // mprotect too: code is rewritten between two of them (the syscall buffer
  // library patches libc's syscall sites with its text made writable), and
  // a breakpoint planted there before must keep the new bytes as its own.
  if (ev.result >= 0 && remaps) RETURN_IF_ERROR(s_.breakpoints_.RefreshBreakpoints());
  if (remaps) RETURN_IF_ERROR(s_.code_guard_.AfterMappingChange(changed_start, changed_end));
  if (ev.result >= 0) {
    bool exec_map =
        (row.special == arch::Special::kMmap || row.special == arch::Special::kMprotect) &&
        (ev.args[2] & PROT_EXEC);
    if (exec_map) {
      uint64_t start = row.special == arch::Special::kMmap ? ev.result : ev.args[0];
      RETURN_IF_ERROR(patcher().PatchTrapSites(tracee(), start, start + ev.args[1]).status());
    }
  }
  return Status::Ok();
}

Expected<int64_t> SyscallReplayer::ExecuteInPlace(
    const std::optional<std::array<uint64_t, 6>>& args, std::optional<WaitStatus>* exited,
    std::optional<int64_t> nr, pid_t* new_thread, int signo_at_entry) {
  const arch::Arch& a = arch();
  ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
  // Before the rewind, which makes the number the one the instruction
  // reads (x86-64 copies orig_rax into rax).
  if (nr) a.SetSyscallNumber(regs, *nr);
  a.RewindToSyscallInsn(regs);
  if (args) {
    for (int i = 0; i < 6; ++i) a.SetSyscallArg(regs, i, (*args)[i]);
  }
  RETURN_IF_ERROR(tracee().SetRegisters(regs));
  const arch::SyscallInfo* row = a.syscalls().Find(a.SyscallNumber(regs));
  bool ends_process = row && row->special == arch::Special::kExitGroup;
  bool execs = row && row->special == arch::Special::kExecve;
  bool entered = false;
  int resume_signo = 0;
  int foreign_signals = 0;
  for (int stops = 0; stops < 8; ++stops) {
    RETURN_IF_ERROR(tracee().Resume(ResumeMode::kSyscall, std::exchange(resume_signo, 0)));
    // exit_group kills the other threads, whose deaths must be collected
    // before a leader's is reported.
    if (entered && ends_process) s_.lifecycle_.ReapThreadsOf(cur().tgid, s_.cur_);
    ASSIGN_OR_RETURN(WaitStatus ws, entered && execs ? s_.lifecycle_.WaitThroughExec(cur())
                                                     : s_.WaitFor(cur(), /*interruptible=*/false));
    if (ws.is_exit()) {
      *exited = ws;
      return 0;
    }
    if (ws.kind == WaitStatus::Kind::kPtraceEvent) {
      // exec, or the clone that made a thread
      if (new_thread && ws.event != PTRACE_EVENT_EXEC) {
        ASSIGN_OR_RETURN(unsigned long msg, tracee().GetEventMsg());
        *new_thread = static_cast<pid_t>(msg);
      }
      continue;
    }
    if (ws.kind == WaitStatus::Kind::kSignalStop && ws.signo == SIGSTOP && s_.interrupt_sent_) {
      s_.interrupt_sent_ = false;  // raced with this syscall; dropped
      --stops;
      continue;
    }
    if (ws.kind == WaitStatus::Kind::kSignalStop && ws.signo != SIGSTOP &&
        ++foreign_signals < kMaxForeignSignals) {
      // Not the recording's (a replayed child's exit): those come from the
      // trace only, so this one never reaches the program.
      --stops;
      continue;
    }
    if (ws.kind != WaitStatus::Kind::kSyscallStop) {
      return Diverged("unexpected " + ws.ToString() + " while executing a syscall");
    }
    ASSIGN_OR_RETURN(SyscallStopInfo info, tracee().GetSyscallInfo());
    if (info.op == SyscallStopInfo::Op::kEntry) {
      entered = true;
      // Resuming an entry stop with a signal queues it before the syscall runs.
      resume_signo = signo_at_entry;
    } else if (info.op == SyscallStopInfo::Op::kExit && entered) {
      return info.result;
    }
  }
  return Error("a re-executed syscall never completed");
}

}  // namespace rwd::replayer
