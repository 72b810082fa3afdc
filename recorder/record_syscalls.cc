// SyscallRecorder: syscall entry and exit, clone, exec and mmap.
#include <elf.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fork_advice.h"
#include "core/mmap_flags.h"
#include "core/proc_maps.h"
#include "core/remote_syscall.h"
#include "include/rewind/checkpoint.h"
#include "preload/syscallbuf_abi.h"
#include "recorder/mapped_file_writes.h"
#include "recorder/record_session.h"

namespace rwd::recorder {

namespace {

constexpr size_t kAtRandomBytes = 16;

bool IsDevZero(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
         minor(st.st_rdev) == 5;
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

// Syscalls the scheduler must see through on the same thread: they change
// the process tree or end the thread, and are recorded at special stops.
bool RunsToCompletion(arch::Special special) {
  return special == arch::Special::kClone || special == arch::Special::kExecve ||
         special == arch::Special::kExit || special == arch::Special::kExitGroup;
}

// 1 or 2 when `fd` of thread `tid` is the same file as our own stdout or
// stderr (which the program inherited; `ours`), else 0.
uint8_t OutputStreamOf(pid_t tid, int fd, const std::array<std::optional<FileId>, 2>& ours) {
  struct stat theirs;
  std::string link = "/proc/" + std::to_string(tid) + "/fd/" + std::to_string(fd);
  if (stat(link.c_str(), &theirs) != 0) return 0;
  for (size_t i = 0; i < ours.size(); ++i) {
    if (ours[i] && ours[i]->dev == theirs.st_dev && ours[i]->ino == theirs.st_ino) {
      return static_cast<uint8_t>(i + 1);
    }
  }
  return 0;
}

// Syscalls that by design wait for another thread of the program (a futex
// wait, as in every mutex and condition variable), where waiting for the
// syscall to come back first only costs time.
bool BlocksForOthers(const PendingSyscall& pending) {
  if (pending.info->special != arch::Special::kFutex) return false;
  uint64_t op = pending.args[1] & 0x7f;  // without FUTEX_PRIVATE_FLAG
  return op == 0 /*FUTEX_WAIT*/ || op == 9 /*FUTEX_WAIT_BITSET*/ || op == 6 /*FUTEX_LOCK_PI*/ ||
         op == 11 /*FUTEX_WAIT_REQUEUE_PI*/;
}

// A path naming the file an execve of `path` opens, usable from outside the
// tracee and after the exec (which keeps the cwd).
std::string ExecOpenPath(pid_t tid, const std::string& path, bool at, int dirfd, uint64_t flags) {
  std::string proc = "/proc/" + std::to_string(tid);
  if (path.starts_with("/")) return path;
  if (!at || dirfd == AT_FDCWD) return proc + "/cwd/" + path;
  // An fd of the tracee; a close-on-exec one is gone after the exec.
  std::string fd = proc + "/fd/" + std::to_string(dirfd);
  return path.empty() && (flags & AT_EMPTY_PATH) ? fd : fd + "/" + path;
}

}  // namespace

namespace {

// The ranges an mmap, munmap, mprotect or mremap that returned `result`
// changed, forgotten by `pages`.
void ForgetProbePagesTouched(ProbePages& pages, arch::Special special,
                             const std::array<uint64_t, 6>& args, int64_t result) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  auto forget = [&](uint64_t start, uint64_t length) {
    pages.Forget(start, start + ((length + page - 1) & ~(page - 1)));
  };
  const uint64_t at = static_cast<uint64_t>(result);
  if (special == arch::Special::kMmap) forget(at, args[1]);
  if (special == arch::Special::kMunmap || special == arch::Special::kMprotect) {
    forget(args[0], args[1]);
  }
  if (special == arch::Special::kMremap) {
    forget(args[0], args[1]);
    forget(at, args[2]);
  }
}

}  // namespace

Status SyscallRecorder::OnSyscallEntry(RecordTask& task, const SyscallStopInfo& info) {
  RETURN_IF_ERROR(s_.passes_.BeforeSyscall(task));
  // Now, not at the event: a fork copies the buffer as it is.
  RETURN_IF_ERROR(s_.buffer_.FlushSyscallBuffer(task));
  const arch::Arch& arch = task.tracee.arch();
  const arch::SyscallInfo* row = arch.syscalls().Lookup(info.nr);
  if (!row) {
    return Status(ErrorCode::kUnsupported, "syscall '" + arch.syscalls().NameOf(info.nr) +
                                               "' (number " + std::to_string(info.nr) +
                                               ") is not supported by the recorder");
  }
  PendingSyscall pending;
  pending.info = row;
  pending.nr = info.nr;
  pending.args = info.args;
  pending.entry_recorded = task.reentering;
  task.reentering = false;
  pending.snapshot = SnapshotAtEntry(task.tracee, *row, info.args);
  if (row->special == arch::Special::kExecve) {
    bool at = row->at_dirfd;
    auto path = task.tracee.ReadCString(info.args[at ? 1 : 0]);
    auto argv = ReadArgv(task.tracee, info.args[at ? 2 : 1]);
    if (path.ok()) pending.exec_path = *path;
    if (argv.ok()) pending.exec_argv = *argv;
    pending.exec_open_path = ExecOpenPath(task.tid(), pending.exec_path, at,
                                          static_cast<int>(info.args[0]), info.args[4]);
    ProcessOf(task).exec_caller = &task;
  }
  task.pending = std::move(pending);

  // execve too, though it runs to completion: the syscalls the recorder
  // injects at its exit would swallow a SIGSTOP still pending then.
  bool absorb =
      task.stop_sent && (!RunsToCompletion(row->special) || row->special == arch::Special::kExecve);
  // Chaos mode sometimes lets another thread run right before a syscall, as
  // a preemption whose SIGSTOP meets the thread at the entry does.
  bool park = !absorb && !RunsToCompletion(row->special) && s_.scheduler_.SwitchBeforeSyscall(task);
  if (absorb || park) {
    // Our SIGSTOP would interrupt the syscall, and the kernel would restart
    // it behind the program's back: take the SIGSTOP first. Either way the
    // syscall has not run, and the thread runs it when it is resumed.
    RETURN_IF_ERROR(BackOutOfEntry(task));
    bool preempt = park || task.preempt_wanted;
    task.preempt_wanted = false;
    bool entry_recorded = task.pending->entry_recorded;
    if (preempt && s_.scheduler_.OthersReady(task)) {
      if (!entry_recorded) RETURN_IF_ERROR(RecordSyscallEntry(task));
      task.pending.reset();
      task.reentering = true;
      s_.scheduler_.SwitchAway(task);
      return Status::Ok();
    }
    task.pending.reset();
    task.reentering = entry_recorded;
    return Resume(task);  // it executes the syscall instruction again
  }

  task.pending->deny_errno = DenialOf(arch, *row, info.args);
  if (row->special == arch::Special::kPrctl) HideRecorderModes(task, *task.pending);
  if (s_.syscallbuf_ && info.nr == RWD_SB_REGISTER) {
    RETURN_IF_ERROR(s_.buffer_.RegisterSyscallBuffer(task, *task.pending));
  }
  if (info.nr == RWD_SB_READY) ProcessOf(task).syscallbuf_patching = false;
  if (info.nr == REWIND_CHECKPOINT_SYSCALL) s_.snapshots_.RequestCheckpoint(task, info.args[0]);
  if (task.pending->deny_errno != 0) {
    // An invalid number makes the kernel skip the syscall; exit sets the errno.
    ASSIGN_OR_RETURN(arch::Registers regs, task.tracee.GetRegisters());
    RETURN_IF_ERROR(arch.host()
                        .SetSyscallNumberAtEntry(task.tid(), regs, -1)
                        .Wrap("skipping the denied syscall '" + std::string(row->name) + "'"));
  }
  // A real clock_gettime (core/clock.h): patience is 2 ms, finer than a tick.
  task.syscall_start = MonotonicNow();
  if (row->special == arch::Special::kExit || row->special == arch::Special::kExitGroup) {
    task.state = RecordTask::State::kExiting;
    ProcessState& process = ProcessOf(task);
    if (row->special == arch::Special::kExitGroup) {
      process.ender = task.tid();
      s_.scheduler_.set_dying(task.tgid);
    } else if (s_.ThreadsOf(task.tgid) == 1) {
      process.ender = task.tid();
    } else if (task.tid() == task.tgid) {
      // The leader's death is reported only after every other thread's: do
      // not wait for it.
      int status = W_EXITCODE(static_cast<int>(info.args[0] & 0xff), 0);
      RETURN_IF_ERROR(Append(task, trace::ExitEvent{status, /*whole_process=*/false}));
      task.exit_recorded = true;
      task.zombie = true;
      task.state = RecordTask::State::kBlocked;
      s_.current_ = nullptr;
      return task.tracee.Resume(ResumeMode::kSyscall);
    }
    return task.tracee.Resume(ResumeMode::kSyscall);
  }
  int deliver = s_.signals_.TakeDeferredSignal(task, *task.pending);
  if (deliver == 0) s_.snapshots_.KeepEntryState(task);
  task.state = RecordTask::State::kInSyscall;
  // Under the syscall buffer's filter this stop is a seccomp event stop,
  // where the kernel drops a signal passed on resume (the next signal of
  // that number would then be taken for it, wherever it lands, even inside
  // the library): queue it instead, pending through the syscall.
  if (deliver != 0 && s_.buffer_.RunMode(task) == ResumeMode::kCont &&
      syscall(SYS_tgkill, task.tgid, task.tid(), deliver) == 0) {
    deliver = 0;
  }
  RETURN_IF_ERROR(task.tracee.Resume(ResumeMode::kSyscall, deliver));
  return LetOthersRunDuringWait(task);
}

Status SyscallRecorder::LetOthersRunDuringWait(RecordTask& task) {
  if (task.state != RecordTask::State::kInSyscall || !task.pending ||
      !BlocksForOthers(*task.pending) || !s_.scheduler_.OthersReady(task)) {
    return Status::Ok();
  }
  RETURN_IF_ERROR(RecordSyscallEntry(task));
  task.state = RecordTask::State::kBlocked;
  s_.current_ = nullptr;
  return Status::Ok();
}

int SyscallRecorder::DenialOf(const arch::Arch& arch, const arch::SyscallInfo& row,
                              const std::array<uint64_t, 6>& args) {
  constexpr int kEperm = 1;
  if (row.special == arch::Special::kClone &&
      (arch::CloneFlags(row, args, arch.CloneArgs().flags) & CLONE_UNTRACED)) {
    // The new task would run outside the recording (and the replay), in
    // shared memory. AddressSanitizer's leak check starts its tracer thread
    // so; it then reports that it does not work under ptrace, as under gdb.
    Note(
        "clone(CLONE_UNTRACED) made to fail with EPERM: a task outside the "
        "recording cannot be "
        "replayed (AddressSanitizer's leak check does this at exit; run with "
        "ASAN_OPTIONS=detect_leaks=0 to skip it)");
    return kEperm;
  }
  bool new_pid_namespace = (row.special == arch::Special::kClone &&
                            (arch::CloneFlags(row, args, arch.CloneArgs().flags) & CLONE_NEWPID)) ||
                           (row.name == "unshare" && (args[0] & CLONE_NEWPID));
  if (new_pid_namespace) {
    // Its processes would see pids the recorder does not track (pid 1,
    // ...) in kill, wait and signals' senders; replay of such traces
    // diverges. Unprivileged programs get EPERM here too and cope.
    Note(std::string(row.name) +
         "(CLONE_NEWPID) made to fail with EPERM: rewind does not record processes in a "
         "new pid namespace (other namespaces are recorded)");
    return kEperm;
  }
  if (row.action != arch::ReplayAction::kDeny) return 0;
  if (row.special == arch::Special::kPtrace) {
    Note(
        "ptrace made to fail with EPERM, as for any program run under a "
        "tracer: rewind cannot "
        "record a program that traces processes itself (AddressSanitizer: run "
        "with "
        "ASAN_OPTIONS=detect_leaks=0)");
  }
  return row.deny_errno;
}

void SyscallRecorder::HideRecorderModes(RecordTask& task, PendingSyscall& pending) {
  // rdtsc faults (PR_SET_TSC) and the syscall buffer's seccomp filter are
  // the recorder's, not the program's: prctl answers as it would natively,
  // and a program's own PR_SET_TSC must not turn the recording's faulting
  // off (its rdtsc would go unrecorded). Answered here, not run.
  ProcessState& process = ProcessOf(task);
  uint64_t option = pending.args[0];
  if (option == PR_SET_TSC &&
      (pending.args[1] == PR_TSC_ENABLE || pending.args[1] == PR_TSC_SIGSEGV)) {
    // Kept for PR_GET_TSC only; rdtsc stays emulated either way.
    process.program_tsc_mode = static_cast<int>(pending.args[1]);
    pending.forced_result = 0;
  } else if (option == PR_GET_TSC) {
    int32_t mode = process.program_tsc_mode;
    Status wrote = task.tracee.WriteMemory(pending.args[1],
                                           {reinterpret_cast<const uint8_t*>(&mode), sizeof mode});
    pending.forced_result = wrote.ok() ? 0 : -EFAULT;
  } else if (option == PR_GET_SECCOMP && !process.ptrace_syscalls) {
    pending.forced_result = 0;  // no filter of its own
  } else {
    return;
  }
  // Skipped like a denied call; the exit sets the forced result.
  pending.deny_errno = EPERM;
}

Status SyscallRecorder::BackOutOfEntry(RecordTask& task) {
  const arch::Arch& arch = task.tracee.arch();
  ASSIGN_OR_RETURN(arch::Registers entry_regs, task.tracee.GetRegisters());
  arch::Registers skip = entry_regs;
  RETURN_IF_ERROR(arch.host()
                      .SetSyscallNumberAtEntry(task.tid(), skip, -1)
                      .Wrap("skipping a syscall to back out of its entry"));
  // Without our SIGSTOP the skipped syscall's exit stop is the place; a
  // signal pending there is delivered when the thread runs again.
  bool take_stop = task.stop_sent;
  bool stopped = false;
  for (int stops = 0; stops < 64 && !stopped; ++stops) {
    RETURN_IF_ERROR(task.tracee.Resume(ResumeMode::kSyscall));
    ASSIGN_OR_RETURN(WaitStatus ws, task.tracee.Wait());
    if (ws.is_exit()) return Status(ErrorCode::kTraceeExited, "the thread died");
    if (ws.kind != WaitStatus::Kind::kSignalStop) {
      stopped = !take_stop && ws.kind == WaitStatus::Kind::kSyscallStop;
      continue;
    }
    if (ws.signo == SIGSTOP && take_stop) {
      stopped = true;
    } else {
      // A real signal queued before ours: hold it back like any other.
      auto siginfo = task.tracee.GetSiginfo();
      if (siginfo.ok()) s_.signals_.Defer(task, ws.signo, *siginfo);
    }
  }
  if (!stopped) {
    return Error(take_stop ? "the recorder's SIGSTOP never arrived"
                           : "a skipped syscall did not return");
  }
  task.stop_sent = false;
  arch.RewindToSyscallInsn(entry_regs);
  return task.tracee.SetRegisters(entry_regs);
}

Status SyscallRecorder::RecordSyscallEntry(RecordTask& task) {
  if (!task.pending || task.pending->entry_recorded) return Status::Ok();
  task.pending->entry_recorded = true;
  return Append(task, trace::SyscallEntryEvent{task.pending->nr, task.pending->args});
}

Expected<trace::SyscallEvent> SyscallRecorder::FinishSyscall(RecordTask& task,
                                                             const PendingSyscall& pending,
                                                             int64_t result) {
  trace::SyscallEvent event;
  event.nr = pending.nr;
  event.args = pending.args;
  event.result = result;
  ASSIGN_OR_RETURN(
      std::vector<MemRange> ranges,
      OutputRanges(task.tracee, *pending.info, pending.args, result, pending.snapshot));
  for (const MemRange& r : ranges) {
    trace::MemWrite w;
    w.addr = r.addr;
    ASSIGN_OR_RETURN(w.bytes, task.tracee.ReadBytes(r.addr, r.len));
    event.writes.push_back(std::move(w));
  }
  return event;
}

Status SyscallRecorder::OnSyscallExit(RecordTask& task, arch::Registers& regs) {
  PendingSyscall pending = std::move(*task.pending);
  task.pending.reset();
  s_.buffer_.NoteSyscallDone(*pending.info);
  if (pending.recorded) return Status::Ok();
  const arch::Arch& arch = task.tracee.arch();
  int64_t result = arch.SyscallResult(regs);
  if (pending.deny_errno != 0) {
    result = pending.forced_result.value_or(-pending.deny_errno);
    arch.SetSyscallResult(regs, result);
    RETURN_IF_ERROR(task.tracee.SetRegisters(regs));
  }
  if (pending.info->special == arch::Special::kExecve) ProcessOf(task).exec_caller = nullptr;
  if (pending.info->special == arch::Special::kExecve && result == 0) {
    return RecordExec(task, pending);
  }
  ASSIGN_OR_RETURN(trace::SyscallEvent event, FinishSyscall(task, pending, result));
  if (result > 0 && pending.info->echo != arch::Echo::kNone) {
    event.output_stream =
        OutputStreamOf(task.tid(), static_cast<int>(pending.args[0]), s_.own_streams_);
  }
  if (result >= 0 && !ProcessOf(task).writable_shared_files.empty()) {
    ASSIGN_OR_RETURN(std::optional<trace::FileWrite> written,
                     MappedFileWrite(task.tid(), pending.info->name, pending.args, result,
                                     ProcessOf(task).writable_shared_files));
    if (written) event.file_writes.push_back(std::move(*written));
  }
  if (result >= 0) {
    s_.snapshots_.TrackKernelState(task, pending, result);
    ProcessOf(task).fork_advice.Track(pending.info->special, pending.args, result);
    arch::Special special = pending.info->special;
    if (special == arch::Special::kMmap || special == arch::Special::kMunmap ||
        special == arch::Special::kMprotect || special == arch::Special::kMremap) {
      ProcessOf(task).probe_sites.clear();
      // Pass counters' pages the program mapped over or changed are its own
      // now; the rest are unmapped after this syscall (PassCounter).
      ForgetProbePagesTouched(ProcessOf(task).probe_pages, special, pending.args, result);
    }
    if (special == arch::Special::kMmap) RETURN_IF_ERROR(RecordMmap(task, event));
    bool own_filter = special == arch::Special::kSeccomp ||
                      (special == arch::Special::kPrctl && event.args[0] == PR_SET_SECCOMP);
    if (own_filter) ProcessOf(task).ptrace_syscalls = true;
    if (special == arch::Special::kMprotect && (event.args[2] & PROT_EXEC)) {
      RETURN_IF_ERROR(
          ProcessOf(task)
              .patcher.PatchTrapSites(task.tracee, event.args[0], event.args[0] + event.args[1])
              .status());
    }
  }
  return Append(task, std::move(event));
}

Status SyscallRecorder::OnCloneEvent(RecordTask& task) {
  ASSIGN_OR_RETURN(unsigned long msg, task.tracee.GetEventMsg());
  pid_t child = static_cast<pid_t>(msg);
  if (!task.pending || task.pending->info->special != arch::Special::kClone) {
    return Error("a clone event outside a clone syscall");
  }
  const arch::Arch& arch = task.tracee.arch();
  uint64_t flags =
      arch::CloneFlags(*task.pending->info, task.pending->args, arch.CloneArgs().flags);
  ASSIGN_OR_RETURN(trace::SyscallEvent event, FinishSyscall(task, *task.pending, child));
  RETURN_IF_ERROR(Append(task, std::move(event)));
  task.pending->recorded = true;

  bool thread = flags & CLONE_THREAD;
  pid_t tgid = thread ? task.tgid : child;
  auto created = std::make_unique<RecordTask>(Tracee(child, arch), tgid);
  if (!thread) {
    ProcessState& parent = ProcessOf(task);
    ProcessState& process = s_.processes_[child];
    process.patcher = parent.patcher;
    process.ptrace_syscalls = parent.ptrace_syscalls;
    process.program_tsc_mode = parent.program_tsc_mode;
    process.buffered = parent.buffered;
    process.exec_path = parent.exec_path;
    process.syscallbuf_code_start = parent.syscallbuf_code_start;
    process.syscallbuf_code_end = parent.syscallbuf_code_end;
    process.sigactions = parent.sigactions;
    process.fork_advice = parent.fork_advice.InChild();
    process.exec_event = parent.exec_event;
    process.brk = parent.brk;
    process.writable_shared_files = parent.writable_shared_files;
    // A copy of the pass counters' pages, unmapped after the child's first
    // syscall (PassCounter): no probe of the parent's runs in the child.
    if (!(flags & CLONE_VM)) process.probe_pages = parent.probe_pages;
    process.parent = (flags & CLONE_PARENT) ? parent.parent : task.tgid;
  }
  if (flags & CLONE_CHILD_CLEARTID) {
    created->clear_child_tid = task.pending->args[arch.CloneArgs().child_tid];
  } else if (!(flags & CLONE_VM)) {
    created->clear_child_tid = task.clear_child_tid;  // a fork copies it
  }
  // A forked child has a copy of the buffer (emptied at the fork's entry)
  // at the same address. A new thread registers its own; a vfork child
  // shares its parent's, which is locked until the child execs or ends.
  if (!(flags & CLONE_VM)) created->syscallbuf = task.syscallbuf;
  // A new thread starts without an alternate signal stack; a fork or vfork
  // child has its parent's.
  if (!(flags & CLONE_VM) || (flags & CLONE_VFORK)) created->altstack = task.altstack;
  created->state = RecordTask::State::kNew;
  created->fresh = true;
  if (auto early = s_.early_stops_.find(child); early != s_.early_stops_.end()) {
    created->unhandled = early->second;
    created->state = RecordTask::State::kStopped;
    s_.early_stops_.erase(early);
  }
  RecordTask& new_task = *created;
  s_.tasks_.push_back(std::move(created));
  if (flags & CLONE_VFORK) {
    task.vfork_child = child;
    s_.buffer_.LockSyscallBuffer(task, true);
  } else if ((flags & CLONE_VM) && !(flags & CLONE_SETTLS) && task.syscallbuf != 0) {
    // A raw clone that keeps the parent's thread pointer: the library
    // (preload/thread_table.h) cannot tell the two threads apart and would
    // give both the parent's buffer, mixing their calls in one batch. Both
    // take the traced path until the last such child ends.
    new_task.shares_buffer_of = task.tid();
    if (task.buffer_sharers++ == 0) s_.buffer_.LockSyscallBuffer(task, true);
  }
  // The parent finishes the syscall on its own (a vfork parent waits for the
  // child's exec); its exit stop has nothing left to record.
  task.state = RecordTask::State::kBlocked;
  s_.current_ = nullptr;
  return task.tracee.Resume(ResumeMode::kSyscall);
}

Status SyscallRecorder::RecordMmap(RecordTask& task, trace::SyscallEvent& event) {
  uint64_t addr = static_cast<uint64_t>(event.result);
  uint64_t len = event.args[1];
  int fd = static_cast<int>(event.args[4]);
  if (!(event.args[3] & MAP_ANONYMOUS) && fd >= 0) {
    std::string link = "/proc/" + std::to_string(task.tid()) + "/fd/" + std::to_string(fd);
    char target[4096];
    ssize_t n = readlink(link.c_str(), target, sizeof(target) - 1);
    event.mapped_path = n > 0 ? std::string(target, n) : link;
    ScopedFd file(open(link.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file.valid()) return ErrnoError("opening the file mapped by mmap: " + event.mapped_path);
    if (IsDevZero(file.get())) {
      // Zero-filled memory, private or shared like anonymous memory: no
      // file to keep, replay maps anonymous memory (kDevZeroPath).
      event.mapped_path = trace::kDevZeroPath;
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(event.mapped_file_id, s_.writer_->StoreFile(file.get(), event.mapped_path));
    RETURN_IF_ERROR(NoteWritableSharedFile(task, file.get(), event));
    // A snapshot restores this mapping from the copy
    // (recorder/snapshot_taker.h).
    s_.file_ids_[event.mapped_path] = event.mapped_file_id;
  }
  if (event.args[2] & PROT_EXEC) {
    // Just mapped: the range holds the file's bytes.
    CodePatcher::MappedFile file{event.mapped_file_id, event.args[5]};
    RETURN_IF_ERROR(
        ProcessOf(task).patcher.PatchTrapSites(task.tracee, addr, addr + len, &file).status());
  }
  return Status::Ok();
}

Status SyscallRecorder::NoteWritableSharedFile(RecordTask& task, int file,
                                               trace::SyscallEvent& event) {
  if (!MapsShared(event.args[3])) return Status::Ok();
  ASSIGN_OR_RETURN(event.mapped_file_writable,
                   OpenedForWriting(task.tid(), static_cast<int>(event.args[4])));
  struct stat st;
  if (!event.mapped_file_writable || fstat(file, &st) != 0) return Status::Ok();
  ProcessState& process = ProcessOf(task);
  bool first = process.writable_shared_files.empty();
  process.writable_shared_files[FileId{st.st_dev, st.st_ino}] = event.mapped_path;
  return first ? s_.buffer_.TraceFileWrites(task.tgid) : Status::Ok();
}

Expected<std::string> SyscallRecorder::StoreScript(const std::string& open_path,
                                                   const std::string& path) {
  ScopedFd file(open(open_path.c_str(), O_RDONLY | O_CLOEXEC));
  char magic[2];
  if (!file.valid() || pread(file.get(), magic, 2, 0) != 2 || magic[0] != '#' || magic[1] != '!') {
    return std::string();  // an ELF (or a file gone already: replay says so if
                           // it needs it)
  }
  return s_.writer_->StoreFile(file.get(), path);
}

Status SyscallRecorder::RecordExec(RecordTask& task, const PendingSyscall& pending) {
  const arch::Arch& arch = task.tracee.arch();
  RETURN_IF_ERROR(task.tracee.ReopenMemory());
  CodePatcher& patcher = ProcessOf(task).patcher;
  // Where the kernel's PR_SET_TSC has no effect (some hypervisors), rdtsc
  // is patched like rdrand; the exec event tells replay to do the same.
  // cpuid joins them below when it must be masked but cannot fault.
  patcher.Reset({.tsc_reads = !arch.host().KernelTrapsTscReads()});
  ProcessOf(task).probe_sites.clear();
  ProcessOf(task).probe_pages = ProbePages();
  task.pass_probe.reset();
  s_.buffer_.NoteUnbuffered(task.tgid);
  task.syscallbuf = 0;
  task.altstack.clear();  // exec drops it
  ProcessOf(task).buffered = ProcessOf(task).syscallbuf_patching = false;
  ProcessOf(task).fork_advice = ForkAdvice();
  ProcessOf(task).writable_shared_files.clear();
  ProcessOf(task).exec_path = pending.exec_path;
  ProcessOf(task).syscallbuf_code_start = ProcessOf(task).syscallbuf_code_end = 0;
  // Exec resets every handled signal to its default; ignored ones stay.
  std::erase_if(ProcessOf(task).sigactions, [](const auto& kv) {
    return kv.second.size() < 8 || kv.second[0] != 1 ||
           std::any_of(kv.second.begin() + 1, kv.second.begin() + 8, [](uint8_t b) { return b; });
  });
  trace::ExecEvent exec;
  exec.tsc_reads_patched = patcher.patch_tsc_reads();
  exec.path = pending.exec_path;
  exec.argv = pending.exec_argv;
  ASSIGN_OR_RETURN(uint64_t syscall_insn, patcher.PatchVdso(task.tracee));
  if (auto call = arch.CpuidFaultingSyscall()) {
    SyscallArgs args;
    std::copy(call->begin() + 1, call->end(), args.v.begin());
    ASSIGN_OR_RETURN(int64_t r, InjectSyscall(task.tracee, syscall_insn, (*call)[0], args));
    exec.cpuid_faulting = r == 0;
  }
  patcher.SetKinds({.tsc_reads = patcher.kinds().tsc_reads,
                    .cpuid = PatchesCpuid(s_.cpuid_mask_, exec.cpuid_faulting)});
  ASSIGN_OR_RETURN(std::vector<uint8_t> auxv, ReadAuxvBytes(task.tid()));
  if (auto at_random = AuxvValue(auxv, AT_RANDOM)) {
    exec.at_random_addr = *at_random;
    ASSIGN_OR_RETURN(exec.at_random, task.tracee.ReadBytes(*at_random, kAtRandomBytes));
  }
  // The ELF that runs: the program, or a #! script's interpreter.
  std::string running;
  char target[4096];
  std::string exe_link = "/proc/" + std::to_string(task.tid()) + "/exe";
  if (ssize_t n = readlink(exe_link.c_str(), target, sizeof(target) - 1); n > 0) {
    running.assign(target, static_cast<size_t>(n));
  }
  ASSIGN_OR_RETURN(exec.script_file_id, StoreScript(pending.exec_open_path, exec.path));
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(task.tid()));
  // Each file once per exec, stored again at every exec (it may have been
  // rebuilt since).
  std::map<std::string, std::string> stored;
  for (const MemoryMapping& m : maps) {
    if (!m.is_file()) continue;
    auto known = stored.find(m.path);
    if (known == stored.end()) {
      ASSIGN_OR_RETURN(std::string id, s_.writer_->StoreFile(-1, m.path));
      known = stored.emplace(m.path, id).first;
      s_.file_ids_[m.path] = id;
    }
    trace::FileMapping fm{
        m.start, m.end,        m.offset, m.prot, uint32_t(m.shared ? MAP_SHARED : MAP_PRIVATE),
        m.path,  known->second};
    if (fm.path == running || exec.exe_file_id.empty()) exec.exe_file_id = fm.file_id;
    exec.mappings.push_back(std::move(fm));
    if (m.prot & PROT_EXEC) {
      // The kernel mapped it just now; the program has not run yet.
      CodePatcher::MappedFile file{known->second, m.offset};
      ASSIGN_OR_RETURN(std::vector<uint64_t> sites,
                       patcher.PatchTrapSites(task.tracee, m.start, m.end, &file));
      exec.trap_sites.insert(exec.trap_sites.end(), sites.begin(), sites.end());
    }
  }
  // Under the tid that called execve, even when it took the leader's since
  // (RecordSession::TakeOverLeaderAtExec): replay finds the thread by it.
  // Its events carry the leader's tid from here on.
  RETURN_IF_ERROR(Append(task, std::move(exec)));
  task.exec_former_tid = 0;
  ProcessOf(task).exec_event = s_.writer_->events_written();
  ProcessOf(task).brk = 0;
  s_.ReleaseVforkParent(task.tid());
  s_.ReleaseSharedBuffer(task);
  return Status::Ok();
}

}  // namespace rwd::recorder
