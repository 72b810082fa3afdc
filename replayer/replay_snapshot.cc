// ReplaySession::OpenAtSnapshot: a replay that starts at a snapshot the
// recorder kept (trace/snapshot.h) instead of at the first event.
//
// The process is built from the replay of the snapshot's exec (so that its
// executable, auxiliary vector, vDSO and program break base are the
// recorded ones), then made the snapshot's image: what the exec mapped is
// unmapped (the stack and the kernel's own pages stay), the program break
// is set, every mapping is made again at its address (file mappings from
// the trace's copies of the files, private), the signal dispositions are
// set, the stored pages are written, and the thread gets its registers,
// its alternate signal stack and its robust futex list. Every other thread
// of the process is cloned anew (core/thread_fork.h: CloneBareThread) and
// given the same, and its recorded tid in the thread table; one the
// recorder found inside a syscall is restored as a parked process is
// (below), then run into that syscall's entry stop. A thread's syscall
// buffer (preload/) is memory like any other, the library's state with it;
// the replayer only takes it over (SyscallBufferReplayer::AdoptSyscallBuffer)
// as at the library's registration. The recorder's seccomp filter is not
// needed: in replay the library makes no syscalls of its own.
// Everything goes through syscalls injected at the vDSO's syscall
// instruction. Replay then goes on from the snapshot's event, checking every
// later event against the trace as always.
//
// Several processes alive at the event (a parent waiting in waitpid while
// its child works) left one snapshot each, a set restored together: the
// process whose exec came first is built as above; each other one starts
// as a fork of it injected right after the exec (which then runs the exec of
// its own program, when it is another: a shell's child), and is made its
// own snapshot's image the same way. A process the recorder found inside a
// syscall (trace::SnapshotThread::parked) gets the registers of that
// syscall's entry, on the syscall instruction, and is run into the syscall
// up to its entry stop, where a replay that ran up to the snapshot's event
// has it too: its recorded result finishes it there.
//
// File descriptors need not be restored: replay emulates what uses them
// and maps files from the trace's copies.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "base/hex.h"
#include "base/scoped_fd.h"
#include "core/proc_maps.h"
#include "core/remote_syscall.h"
#include "core/thread_fork.h"
#include "replayer/replay_session.h"

namespace rwd::replayer {

namespace {

constexpr uint64_t kPage = trace::kSnapshotPageBytes;

Status Refuse(const trace::Snapshot& snap, const std::string& why) {
  return Status(ErrorCode::kUnsupported, "snapshot " + std::to_string(snap.seq) + " (event " +
                                             std::to_string(snap.event) +
                                             ") cannot be restored: " + why);
}

bool KernelProvided(const std::string& path) {
  return path == "[vvar]" || path == "[vvar_vclock]" || path == "[vsyscall]" || path == "[vdso]";
}

// A page-aligned hole of at least two pages, free in the snapshot's map and
// in `now`, for the restore's scratch data.
std::optional<uint64_t> ScratchHole(const trace::Snapshot& snap,
                                    const std::vector<MemoryMapping>& now) {
  std::vector<std::pair<uint64_t, uint64_t>> used;
  for (const trace::SnapshotMapping& m : snap.maps) used.emplace_back(m.start, m.end);
  for (const MemoryMapping& m : now) used.emplace_back(m.start, m.end);
  std::sort(used.begin(), used.end());
  uint64_t at = 0x10000000;  // clear of mmap_min_addr and of small non-PIE images
  for (const auto& [start, end] : used) {
    if (start >= at + 2 * kPage) return at;
    at = std::max(at, end);
  }
  return at + 2 * kPage < (uint64_t{1} << 46) ? std::optional<uint64_t>(at) : std::nullopt;
}

Status SetRegset(pid_t tid, uint32_t note_type, std::vector<uint8_t> bytes) {
  iovec iov{bytes.data(), bytes.size()};
  if (ptrace(PTRACE_SETREGSET, tid, note_type, &iov) != 0) {
    return ErrnoError("writing register set " + std::to_string(note_type) + " of thread " +
                      std::to_string(tid));
  }
  return Status::Ok();
}

Expected<int64_t> Inject(Tracee& t, uint64_t insn, std::string_view name,
                         std::array<uint64_t, 6> a) {
  const arch::SyscallInfo* row = t.arch().syscalls().FindByName(name);
  if (!row) return Error("this architecture's syscall table has no " + std::string(name));
  SyscallArgs args;
  args.v = a;
  return InjectSyscall(t, insn, row->nr, args);
}

Status Failed(const trace::Snapshot& snap, const std::string& what, int64_t r) {
  return SystemError("restoring snapshot " + std::to_string(snap.seq) + ": " + what,
                     static_cast<int>(-r));
}

// The kernel's per-thread state that only the thread itself can set, by
// syscalls injected into `t` with `scratch` (two pages) for their data.
// clear_child_tid is set by the caller (a new thread gets it from clone).
Status SetThreadKernelState(Tracee& t, uint64_t insn, const trace::Snapshot& snap,
                            const trace::SnapshotThread& thread, uint64_t scratch) {
  if (!thread.altstack.empty()) {
    // Replay runs sigaltstack for real: a handler with SA_ONSTACK runs on it.
    if (thread.altstack.size() > 2 * kPage) return Refuse(snap, "its alternate stack is damaged");
    RETURN_IF_ERROR(t.WriteMemory(scratch, thread.altstack));
    ASSIGN_OR_RETURN(int64_t r, Inject(t, insn, "sigaltstack", {scratch, 0}));
    if (r != 0) return Failed(snap, "sigaltstack", r);
  }
  if (thread.robust_list != 0) {
    ASSIGN_OR_RETURN(int64_t r,
                     Inject(t, insn, "set_robust_list", {thread.robust_list, thread.robust_list_len}));
    if (r != 0) return Failed(snap, "set_robust_list", r);
  }
  if (!thread.name.empty()) {
    // The kernel's copy: /proc shows it, and the program may read it back.
    std::vector<uint8_t> name(thread.name.begin(), thread.name.end());
    name.resize(std::min<size_t>(name.size(), 15));
    name.push_back(0);
    RETURN_IF_ERROR(t.WriteMemory(scratch, name));
    ASSIGN_OR_RETURN(int64_t r, Inject(t, insn, "prctl", {PR_SET_NAME, scratch}));
    if (r != 0) return Failed(snap, "prctl(PR_SET_NAME)", r);
  }
  return Status::Ok();
}

Status SetThreadRegisters(const Tracee& t, const trace::Snapshot& snap,
                          const trace::SnapshotThread& thread) {
  if (thread.regs.size() != arch::Registers::capacity_bytes()) {
    return Refuse(snap, "the registers of thread " + std::to_string(thread.tid) + " are " +
                            std::to_string(thread.regs.size()) + " bytes");
  }
  arch::Registers regs;
  std::copy(thread.regs.begin(), thread.regs.end(), regs.data());
  RETURN_IF_ERROR(t.SetRegisters(regs));
  RETURN_IF_ERROR(t.SetFpRegisters(thread.fp));
  for (const trace::SnapshotRegset& set : thread.regsets) {
    RETURN_IF_ERROR(SetRegset(t.tid(), set.note_type, set.bytes));
  }
  return t.SetSignalMask(thread.sigmask);
}

}  // namespace

Expected<std::unique_ptr<ReplaySession>> ReplaySession::OpenAtSnapshot(
    const ReplayOptions& options, std::span<const trace::Snapshot* const> set,
    trace::SnapshotLibrary& library) {
  if (set.empty()) return Error("no snapshot to restore");
  const trace::Snapshot& any = *set.front();
  if (set.size() != any.processes) {
    return Refuse(any, "it is one of " + std::to_string(any.processes) +
                           " processes' snapshots, of which " + std::to_string(set.size()) +
                           " can be read");
  }
  // The process restored from the replay of its exec; the others are forked
  // from it. The one with the earliest exec is reached soonest.
  const trace::Snapshot* base = set.front();
  for (const trace::Snapshot* snap : set) {
    if (snap->event != any.event) return Refuse(*snap, "its set is of several events");
    if (snap->threads.empty()) return Refuse(*snap, "it has no thread");
    for (const trace::SnapshotMapping& m : snap->maps) {
      // A shared file mapping nobody writes through (glibc's gconv cache,
      // locale archives) reads the same mapped privately from the copy.
      if (m.shared && (m.file_id.empty() || (m.prot & PROT_WRITE))) {
        return Refuse(*snap, "it has a writable or anonymous shared mapping at " + Hex(m.start));
      }
      if (!m.path.empty() && m.path[0] == '/' && m.file_id.empty()) {
        return Refuse(*snap, "the trace has no copy of " + m.path);
      }
    }
    if (snap->exec_event < base->exec_event) base = snap;
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ReplaySession> s, Open(options));
  if (std::none_of(set.begin(), set.end(),
                   [&](const trace::Snapshot* snap) { return snap->pid == s->focus_pid_; })) {
    return Refuse(any, "process " + std::to_string(s->focus_pid_) +
                           ", the one debugged, is not among its processes");
  }
  // Silent: the events up to the snapshot were shown, or are skipped.
  s->set_echo_from_event(UINT64_MAX);
  s->set_boundary_stop([&](uint64_t event) { return event >= base->exec_event; });
  while (s->event_number() < base->exec_event) {
    ASSIGN_OR_RETURN(ReplayStop stop, s->Continue());
    // Other processes may end or get signals on the way.
    if (stop.kind == ReplayStop::Kind::kEndOfTrace || s->exited() || s->finished()) {
      return Refuse(
          *base, "replay ended before its exec (event " + std::to_string(base->exec_event) + ")");
    }
  }
  s->set_boundary_stop(nullptr);
  if (s->threads_.size() != 1 || s->cur_ != &s->threads_.front()) {
    return Refuse(*base, "other threads or processes run at its exec");
  }
  // The other processes are copies of the exec's image, made before it
  // becomes the snapshot's (less to copy and to undo). The replay emulates
  // what depends on who forked whom (wait4, getppid, kill), so every copy
  // may be the child of the replayer itself, like a checkpoint's.
  std::vector<std::pair<ReplayTask*, const trace::Snapshot*>> restores;
  ReplayTask& root = s->threads_.front();
  restores.emplace_back(&root, base);
  for (const trace::Snapshot* snap : set) {
    if (snap == base) continue;
    ASSIGN_OR_RETURN(pid_t pid, ForkTracee(root.tracee, root.mm->patcher.syscall_insn()));
    auto mm = std::make_shared<AddressSpace>();
    mm->patcher = root.mm->patcher;
    ReplayTask& task = s->threads_.Add(std::make_unique<ReplayTask>(
        Tracee(pid, s->arch()), snap->threads.front().tid, snap->pid, mm));
    // A copy of the base is of the base's program until it runs its own.
    if (snap->exec_event != base->exec_event) RETURN_IF_ERROR(s->ExecProgramOf(task, *snap));
    restores.emplace_back(&task, snap);
  }
  for (auto& [task, snap] : restores) {
    RETURN_IF_ERROR(s->BecomeSnapshot(*task, *snap, library));
    if (task->tgid == s->focus_pid_) s->focus_mm_ = task->mm;
  }
  // The thread whose event it was, of the set's first process
  // (SnapshotTaker): the others wait inside syscalls, or where the recorder
  // switched away from them, and run again when their next events come.
  s->cur_ = s->threads_.Find(RecordedTid(set.front()->current_tid));
  if (!s->cur_) {
    return Refuse(any, "its current thread " + std::to_string(set.front()->current_tid) +
                           " is not among its threads");
  }
  // Empty where the library is not loaded.
  for (auto& [task, snap] : restores) {
    ASSIGN_OR_RETURN(task->mm->library_code,
                     LibraryCode::Find(task->tracee, task->mm->mapped_files));
  }
  s->events_.MoveTo(any.event);
  s->at_boundary_ = true;
  return s;
}

Status ReplaySession::EnterSyscall(ReplayTask& task) {
  // As replay runs threads: the stop at the entry is PTRACE_SYSEMU's, so
  // the kernel never runs the syscall, whose result the replay writes.
  RETURN_IF_ERROR(task.tracee.Resume(ResumeMode::kSysemu));
  ASSIGN_OR_RETURN(WaitStatus ws, task.tracee.Wait());
  if (ws.kind != WaitStatus::Kind::kSyscallStop) {
    return Error("thread " + std::to_string(task.tid) + ", put back onto its syscall, stopped with " +
                 ws.ToString() + " before the syscall's entry");
  }
  task.at_syscall_entry = true;
  return Status::Ok();
}

Status ReplaySession::ExecProgramOf(ReplayTask& task, const trace::Snapshot& snap) {
  if (snap.exec_event == 0) return Refuse(snap, "the trace has no exec of its program");
  RETURN_IF_ERROR(reader_->Seek(snap.exec_event - 1));
  ASSIGN_OR_RETURN(std::optional<trace::Event> event, reader_->Next());
  const auto* exec = event ? std::get_if<trace::ExecEvent>(&event->body) : nullptr;
  if (!exec) {
    return Refuse(snap, "event " + std::to_string(snap.exec_event - 1) + " is not its exec");
  }
  ASSIGN_OR_RETURN(ProcessLifecycle::StagedExec staged, lifecycle_.StageFiles(*exec, exec->path));
  // No arguments nor environment: the stack the exec builds becomes the
  // snapshot's.
  Tracee& t = task.tracee;
  ASSIGN_OR_RETURN(arch::Registers regs, t.GetRegisters());
  constexpr uint64_t kPointers = 3;  // argv[0], argv[1] = NULL, envp[0] = NULL
  std::vector<uint8_t> block(kPointers * sizeof(uint64_t));
  block.insert(block.end(), staged.plan.filename.begin(), staged.plan.filename.end());
  block.push_back(0);
  const uint64_t at = (arch().Sp(regs) - kPage - block.size()) & ~uint64_t{15};
  const uint64_t name = at + kPointers * sizeof(uint64_t);
  std::memcpy(block.data(), &name, sizeof name);
  RETURN_IF_ERROR(t.WriteMemory(at, block));
  const arch::SyscallInfo* execve = arch().syscalls().FindByName("execve");
  if (!execve) return Error("this architecture's syscall table has no execve");
  SyscallArgs args;
  args.v = {name, at, at + 2 * sizeof(uint64_t), 0, 0, 0};
  ASSIGN_OR_RETURN(int64_t r, InjectExec(t, task.mm->patcher.syscall_insn(), execve->nr, args));
  if (r != 0) {
    return SystemError(
        "restoring snapshot " + std::to_string(snap.seq) + ": execve of " + exec->path,
        static_cast<int>(-r));
  }
  return lifecycle_.SetUpNewImage(task, *exec, staged);
}

Status ReplaySession::BecomeSnapshot(ReplayTask& task, const trace::Snapshot& snap,
                                     trace::SnapshotLibrary& library) {
  Tracee& t = task.tracee;
  const uint64_t insn = task.mm->patcher.syscall_insn();
  auto inject = [&](std::string_view name, std::array<uint64_t, 6> a) {
    return Inject(t, insn, name, a);
  };
  auto failed = [&](const std::string& what, int64_t r) { return Failed(snap, what, r); };

  // What the exec made, but for the stack (the thread stands on it) and the
  // kernel's pages.
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> now, ReadMappings(t.tid()));
  std::vector<MemoryMapping> kept;
  for (const MemoryMapping& m : now) {
    if (KernelProvided(m.path) || m.path == "[stack]") {
      kept.push_back(m);
      continue;
    }
    ASSIGN_OR_RETURN(int64_t r, inject("munmap", {m.start, m.end - m.start}));
    if (r != 0) return failed("munmap of " + Hex(m.start), r);
  }
  if (snap.brk != 0) {
    ASSIGN_OR_RETURN(int64_t r, inject("brk", {snap.brk}));
    if (static_cast<uint64_t>(r) != snap.brk) {
      return Refuse(snap, "the program break could not be set to " + Hex(snap.brk) + " (got " +
                              Hex(static_cast<uint64_t>(r)) + ")");
    }
  }
  std::optional<uint64_t> scratch = ScratchHole(snap, kept);
  if (!scratch) return Refuse(snap, "no room for the restore's scratch page");
  {
    ASSIGN_OR_RETURN(int64_t r,
                     inject("mmap", {*scratch, 2 * kPage, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, ~uint64_t{0}, 0}));
    if (static_cast<uint64_t>(r) != *scratch) return failed("scratch mmap", r);
  }

  std::map<std::string, std::string> mapped_files;
  for (const trace::SnapshotMapping& m : snap.maps) {
    if (m.path == "[heap]" || KernelProvided(m.path)) continue;
    uint64_t start = m.start, end = m.end;
    if (m.path == "[stack]") {
      // Only what lies below the stack the exec made.
      auto stack = std::find_if(kept.begin(), kept.end(),
                                [](const MemoryMapping& k) { return k.path == "[stack]"; });
      if (stack != kept.end()) end = std::min(end, stack->start);
      if (start >= end) continue;
    }
    int64_t fd = -1;
    uint64_t flags = MAP_PRIVATE | MAP_FIXED;
    if (!m.file_id.empty()) {
      ASSIGN_OR_RETURN(std::string copy, reader_->LocalFileCopy(m.file_id));
      mapped_files[m.path] = copy;
      // The executable from the file the exec ran (the trace's copy,
      // staged): fingerprints of preemptions hash the globals of the
      // mappings of /proc/PID/exe (core/stack_hash.h), as when recorded.
      std::string open_path = m.path == snap.exec_path ? "/proc/self/exe" : copy;
      std::vector<uint8_t> name(open_path.begin(), open_path.end());
      name.push_back(0);
      if (name.size() > 2 * kPage) return Refuse(snap, "a file copy's path is too long");
      RETURN_IF_ERROR(t.WriteMemory(*scratch, name));
      ASSIGN_OR_RETURN(
          fd, inject("openat", {static_cast<uint64_t>(AT_FDCWD), *scratch, O_RDONLY | O_CLOEXEC}));
      if (fd < 0) return failed("opening " + open_path, fd);
    } else {
      flags |= MAP_ANONYMOUS;
    }
    ASSIGN_OR_RETURN(int64_t r, inject("mmap", {start, end - start, m.prot, flags,
                                                static_cast<uint64_t>(fd), m.offset}));
    if (fd >= 0) (void)inject("close", {static_cast<uint64_t>(fd)});
    if (static_cast<uint64_t>(r) != start) return failed("mmap at " + Hex(start), r);
  }

  for (const trace::SnapshotSigaction& a : snap.sigactions) {
    if (a.bytes.size() < 24 || a.bytes.size() > 2 * kPage) {
      return Refuse(snap, "a signal disposition has " + std::to_string(a.bytes.size()) + " bytes");
    }
    RETURN_IF_ERROR(t.WriteMemory(*scratch, a.bytes));
    ASSIGN_OR_RETURN(int64_t r, inject("rt_sigaction", {static_cast<uint64_t>(a.signo), *scratch, 0,
                                                        a.bytes.size() - 24}));
    if (r != 0) return failed("rt_sigaction(" + std::to_string(a.signo) + ")", r);
  }
  // The main thread is `task`'s; every other one is made anew, as a
  // checkpoint's copy makes them (core/thread_fork.h), with the recorded
  // tid in the thread table (the program's memory holds the recorded tids
  // too, which replay expects: it emulates gettid and tgkill).
  const trace::SnapshotThread& thread = snap.threads.front();
  if (thread.clear_child_tid != 0) {
    ASSIGN_OR_RETURN(int64_t r, inject("set_tid_address", {thread.clear_child_tid}));
    if (r < 0) return failed("set_tid_address", r);
  }
  RETURN_IF_ERROR(SetThreadKernelState(t, insn, snap, thread, *scratch));
  std::vector<std::pair<ReplayTask*, const trace::SnapshotThread*>> threads = {{&task, &thread}};
  for (size_t i = 1; i < snap.threads.size(); ++i) {
    const trace::SnapshotThread& other = snap.threads[i];
    if (threads_.Find(RecordedTid(other.tid))) {
      return Refuse(snap, "thread " + std::to_string(other.tid) + " is in it twice");
    }
    ASSIGN_OR_RETURN(pid_t tid, CloneBareThread(t, other.clear_child_tid, insn));
    ReplayTask& added = threads_.Add(
        std::make_unique<ReplayTask>(Tracee(tid, arch()), other.tid, snap.pid, task.mm));
    RETURN_IF_ERROR(SetThreadKernelState(added.tracee, insn, snap, other, *scratch));
    threads.emplace_back(&added, &other);
  }
  {
    ASSIGN_OR_RETURN(int64_t r, inject("munmap", {*scratch, 2 * kPage}));
    if (r != 0) return failed("scratch munmap", r);
  }

  std::string mem_path = "/proc/" + std::to_string(t.tid()) + "/mem";
  ScopedFd mem(open(mem_path.c_str(), O_RDWR | O_CLOEXEC));
  if (mem.get() < 0) return ErrnoError("opening " + mem_path);
  RETURN_IF_ERROR(library.ForEachPage(snap, [&](uint64_t addr, std::span<const uint8_t> page) {
    if (pwrite(mem.get(), page.data(), page.size(), static_cast<off_t>(addr)) !=
        static_cast<ssize_t>(page.size())) {
      return ErrnoError("writing the page at " + Hex(addr) + " of snapshot " +
                        std::to_string(snap.seq));
    }
    return Status::Ok();
  }));

  for (auto& [owner, state] : threads) {
    RETURN_IF_ERROR(SetThreadRegisters(owner->tracee, snap, *state));
    // Into its syscall, stopped at the entry, as a replay that ran up to
    // here has it: its SyscallEvent finishes the syscall.
    if (state->parked) RETURN_IF_ERROR(EnterSyscall(*owner));
  }

  std::vector<CodePatcher::SavedPatch> patches;
  for (const trace::SnapshotPatch& p : snap.patches) {
    std::optional<arch::TrapInsn> trap;
    if (p.has_trap) {
      trap = arch::TrapInsn{static_cast<arch::TrapInsnKind>(p.trap_kind), p.trap_length,
                            p.trap_dest_reg, p.trap_operand_bytes};
    }
    patches.push_back({p.addr, p.original, trap});
  }
  task.mm->patcher = CodePatcher::FromSaved(
      patches, insn, {.tsc_reads = snap.patch_tsc_reads, .cpuid = snap.patch_cpuid});
  task.mm->exec_path = snap.exec_path;
  task.mm->mapped_files = std::move(mapped_files);
  // The memory is all there (the recorder lent it to its copy); the advice
  // is emulated from here on, as when replay runs up to this point.
  std::vector<ForkAdvice::Range> dont_fork, wipe_on_fork;
  for (const trace::SnapshotRange& r : snap.dont_fork) dont_fork.emplace_back(r.start, r.end);
  for (const trace::SnapshotRange& r : snap.wipe_on_fork) wipe_on_fork.emplace_back(r.start, r.end);
  task.mm->fork_advice = ForkAdvice::FromRanges(dont_fork, wipe_on_fork);
  task.tid = thread.tid;
  task.tgid = snap.pid;
  for (auto& [owner, state] : threads) {
    owner->clear_child_tid = state->clear_child_tid;
    owner->name = state->name;
    if (state->syscallbuf != 0) {
      // Recording emptied it at the thread's last stop; replay's batches
      // fill it from there.
      RETURN_IF_ERROR(syscallbuf_.AdoptSyscallBuffer(*owner, state->syscallbuf));
      owner->batch_event = snap.event;
    }
  }
  return Status::Ok();
}

}  // namespace rwd::replayer
