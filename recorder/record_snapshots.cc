// SnapshotRecorder: RecordSession's persistent snapshots
// (recorder/snapshot_taker.h): when one is due and where one can be taken, and
// the kernel state it must carry that the kernel will not tell.
#include <signal.h>
#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <set>
#include <span>

#include "include/rewind/checkpoint.h"
#include "preload/syscallbuf_abi.h"
#include "recorder/record_session.h"

namespace rwd::recorder {

namespace {

// rt_sigaction's struct: handler, flags, restorer, then the mask of
// `sigsetsize` bytes (the same order on x86-64 and AArch64).
constexpr size_t kSigactionHeadBytes = 24;
constexpr size_t kStackTBytes = 24;  // stack_t: ss_sp, ss_flags, ss_size
// The kernel's internal errnos (ERESTARTSYS .. ERECALLCONN, linux/errno.h),
// never meant to reach a program.
constexpr int64_t kFirstRestartErrno = 512;
constexpr int64_t kLastRestartErrno = 530;
// How often the recorder's wait wakes up, at least, to ask a buffered
// thread for a boundary once a snapshot is due but the previous one is
// still being written.
constexpr auto kMinBoundaryWakeup = std::chrono::milliseconds(5);

Status WriteBoundaryWanted(RecordTask& task, uint64_t value) {
  return task.tracee.WriteMemory(
      task.syscallbuf + offsetof(rwd_sb_header, boundary_wanted),
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&value), sizeof(value)));
}

}  // namespace

void SnapshotRecorder::TrackKernelState(RecordTask& task, const PendingSyscall& pending,
                                        int64_t result) {
  if (result < 0) return;
  const arch::SyscallInfo& row = *pending.info;
  if (row.special == arch::Special::kSetTidAddress) task.clear_child_tid = pending.args[0];
  if (row.special == arch::Special::kBrk) ProcessOf(task).brk = static_cast<uint64_t>(result);
  if (row.special == arch::Special::kPrctl && pending.args[0] == PR_SET_NAME) {
    auto name = task.tracee.ReadCString(pending.args[1], 16);
    if (name.ok()) task.name = *name;
  }
  if (row.name == std::string_view("sigaltstack") && pending.args[0] != 0) {
    // A thread's own, restored with it (replay runs sigaltstack for real,
    // and a handler with SA_ONSTACK runs there). glibc installs one such
    // handler in every program that starts a thread (SIGSETXID).
    auto stack = task.tracee.ReadBytes(pending.args[0], kStackTBytes);
    if (stack.ok()) {
      int flags = 0;
      std::memcpy(&flags, stack->data() + sizeof(uint64_t), sizeof flags);
      task.altstack = (flags & SS_DISABLE) ? std::vector<uint8_t>() : *stack;
    }
  }
  if (row.special == arch::Special::kRtSigaction && pending.args[1] != 0 &&
      pending.args[3] <= 128) {
    auto bytes = task.tracee.ReadBytes(pending.args[1], kSigactionHeadBytes + pending.args[3]);
    if (bytes.ok()) ProcessOf(task).sigactions[static_cast<int>(pending.args[0])] = *bytes;
  }
}

std::optional<std::chrono::microseconds> SnapshotRecorder::BoundaryWakeup(
    const RecordTask& task) const {
  if (!taker_ || task.syscallbuf == 0 || task.boundary_asked || task.pending ||
      task.state != RecordTask::State::kRunning) {
    return std::nullopt;
  }
  std::optional<std::chrono::steady_clock::duration> until = taker_->UntilDue();
  if (!until) return std::nullopt;
  auto period = std::chrono::duration_cast<std::chrono::microseconds>(*until);
  return std::max<std::chrono::microseconds>(period, kMinBoundaryWakeup);
}

void SnapshotRecorder::AskForBoundary(RecordTask& task) {
  if (!taker_ || task.syscallbuf == 0 || task.boundary_asked || task.pending ||
      task.state != RecordTask::State::kRunning || !taker_->Due()) {
    return;
  }
  // Written while the thread runs: the library only reads the word, and
  // reads it again at each call. A thread gone meanwhile needs no boundary.
  task.boundary_asked = WriteBoundaryWanted(task, 1).ok();
}

void SnapshotRecorder::BoundaryReached(RecordTask& task) {
  if (!task.boundary_asked) return;
  task.boundary_asked = false;
  // Its buffer may be gone (an exec): the new one starts cleared.
  (void)WriteBoundaryWanted(task, 0);
}

bool SnapshotRecorder::Parked(const RecordTask& t) const {
  return t.state == RecordTask::State::kBlocked && t.pending && t.pending->entry_recorded &&
         t.pending->entry_state && !t.unhandled && !t.zombie && !t.fresh && !t.stop_sent &&
         t.deferred.empty() && !t.reinjected && t.vfork_child == 0;
}

bool SnapshotRecorder::SwitchedAway(const RecordTask& t) const {
  return t.state == RecordTask::State::kStopped && !t.unhandled && !t.pending && !t.zombie &&
         !t.fresh && !t.stop_sent && t.deferred.empty() && !t.reinjected && !t.reentering &&
         !t.spin_watch && t.vfork_child == 0;
}

void SnapshotRecorder::KeepEntryState(RecordTask& task) {
  // Alone in the recording, the thread is the current one at every
  // snapshot: never restored inside a syscall.
  bool alone = s_.processes_.size() < 2 && s_.ThreadsOf(task.tgid) < 2;
  if (!taker_ || alone || !task.pending || !task.pending->info->may_block ||
      !task.tracee.arch().SyscallStopClobberedWords().empty()) {
    return;
  }
  Expected<trace::SnapshotThread> state = CaptureThread(
      {&task.tracee, task.clear_child_tid, task.name, task.syscallbuf, task.altstack});
  if (!state.ok() || state->regs.size() != arch::Registers::capacity_bytes()) return;
  arch::Registers regs;
  std::copy(state->regs.begin(), state->regs.end(), regs.data());
  task.tracee.arch().RewindToSyscallInsn(regs);
  std::copy(regs.data(), regs.data() + arch::Registers::capacity_bytes(), state->regs.begin());
  state->parked = true;
  task.pending->entry_state = std::move(*state);
}

void SnapshotRecorder::OnStop(const RecordTask& task) {
  if (!taker_ || !taker_->ReadsLive(task.tgid)) return;
  Status s = taker_->Wait();
  if (!s.ok()) Note("a snapshot was not written: " + s.message());
}

bool SnapshotRecorder::InsideSyscallBuffer(const RecordTask& task, const arch::Registers& regs) {
  if (task.syscallbuf == 0) return false;
  // A signal's handler that interrupted the library's buffered path (on
  // the stack at the end of the buffer): restored, the handler would
  // return into the recording's path, which replay does not take. The
  // snapshot does not even keep that stack (DeadBufferPages).
  uint64_t sp = task.tracee.arch().Sp(regs);
  uint64_t stack_end = task.syscallbuf + RWD_SB_BUFFER_SIZE;
  if (sp >= stack_end - RWD_SB_STACK_SIZE && sp < stack_end) return true;
  // The same on another stack (sigaltstack), once the call is under way.
  Expected<uint64_t> busy =
      task.tracee.Read<uint64_t>(task.syscallbuf + offsetof(rwd_sb_header, busy));
  return !busy.ok() || *busy != 0;
}

bool SnapshotRecorder::AnyInsideSyscallBuffer(pid_t tgid, const RecordTask& current) const {
  for (const auto& t : s_.tasks_) {
    if (t->tgid != tgid || t->syscallbuf == 0) continue;
    // Where it is now: the current thread at its boundary, one waiting in a
    // syscall at that syscall's entry, one switched away where it stopped.
    std::optional<arch::Registers> regs;
    if (t.get() == &current) {
      regs = t->boundary_regs;
    } else if (t->pending && t->pending->entry_state &&
               t->pending->entry_state->regs.size() == arch::Registers::capacity_bytes()) {
      regs.emplace();
      std::copy(t->pending->entry_state->regs.begin(), t->pending->entry_state->regs.end(),
                regs->data());
    } else if (Expected<arch::Registers> now = t->tracee.GetRegisters(); now.ok()) {
      regs = *now;
    }
    if (!regs || InsideSyscallBuffer(*t, *regs)) return true;
  }
  return false;
}

bool SnapshotRecorder::Injectable(const RecordTask& task) { return NotInjectable(task).empty(); }

std::string SnapshotRecorder::NotInjectable(const RecordTask& task) {
  if (task.vfork_child != 0) return "the running thread waits for its vfork child";
  if (task.stop_sent) return "a stop the recorder sent is on its way to the running thread";
  if (!task.deferred.empty()) return "the running thread has a signal deferred to a later event";
  if (task.reinjected) return "the running thread has a signal being delivered again";
  if (task.reentering) return "the running thread executes its syscall again";
  if (!task.boundary_regs) return "the running thread is not at an event boundary";
  // A syscall a signal interrupted, to be restarted on the way out of this
  // stop (-ERESTARTSYS and its kin): an injected syscall would consume the
  // restart and leave the program the kernel's internal errno.
  int64_t result = task.tracee.arch().SyscallResult(*task.boundary_regs);
  if (result >= -kLastRestartErrno && result <= -kFirstRestartErrno) {
    return "the running thread's syscall was interrupted, to be restarted";
  }
  return "";
}

std::string SnapshotRecorder::NotRestorable(const RecordTask& t) {
  using State = RecordTask::State;
  // A process is read and restored through its main thread.
  if (t.zombie) return t.tid() == t.tgid ? "the main thread ended" : "a thread exits";
  if (t.fresh || t.state == State::kNew) return "a new thread has not made its first stop";
  if (t.unhandled) return "a thread has a stop the recorder has not handled yet";
  if (t.stop_sent) return "a stop the recorder sent is on its way to a thread";
  if (!t.deferred.empty()) return "a thread has a signal deferred to a later event";
  if (t.reinjected) return "a thread has a signal being delivered again";
  if (t.vfork_child != 0) return "a thread waits for its vfork child";
  if (t.state == State::kJobStopped) return "a thread is stopped by job control";
  if (t.state == State::kBlocked) {
    if (!t.pending || !t.pending->entry_recorded) return "a thread waits where no event says";
    return "a thread waits in a syscall whose entry state was not kept";
  }
  if (t.state == State::kStopped) {
    if (t.pending) return "a thread is stopped inside a syscall";
    if (t.reentering) return "a thread is to execute its syscall again";
    if (t.spin_watch) return "a thread is watched for spinning";
  }
  return "a thread is neither waiting in a syscall nor switched away from";
}

SnapshotRecorder::Obstacle SnapshotRecorder::SnapshotObstacle(const RecordTask& task) const {
  if (!task.tracee.arch().SyscallStopClobberedWords().empty()) {
    return {std::string("this architecture (") + std::string(task.tracee.arch().name()) +
            ") hides registers at syscall stops"};
  }
  if (s_.processes_.count(s_.root_pid_) == 0) return {"the first process ended"};
  for (const auto& [pid, process] : s_.processes_) {
    if (process.syscallbuf_patching) return {"the syscall buffer library sets up"};
    // Replay restores a shared file mapping privately from the trace's copy,
    // where the program's later writes to the file could not show.
    if (!process.writable_shared_files.empty()) {
      return {"the program maps a file it may write MAP_SHARED"};
    }
  }
  if (s_.scheduler_.dying() != 0) return {"a process is exiting", true};
  if (std::string why = NotInjectable(task); !why.empty()) return {why, true};
  std::set<pid_t> leaders;
  for (const auto& t : s_.tasks_) {
    if (t->tid() == t->tgid && !t->zombie) leaders.insert(t->tgid);
    if (t.get() == &task) continue;
    // Restored waiting in its syscall, or where the scheduler switched away
    // from it (computing), as it is now. A thread between the two (a stop
    // being handled, a signal or a syscall entry on its way) would be
    // restored where replay does not have it.
    if (!Parked(*t) && !SwitchedAway(*t)) {
      std::string why = NotRestorable(*t);
      if (t->tgid != task.tgid) {
        why = "another process is stopped where no snapshot can restore it (" + why + ")";
      }
      return {why, true};
    }
  }
  for (const auto& [pid, process] : s_.processes_) {
    // The copy is forked from the current thread, but a process is read
    // and restored through its main thread.
    if (leaders.count(pid) == 0) return {"the main thread ended"};
    if (AnyInsideSyscallBuffer(pid, task)) {
      return {"a thread is inside the syscall buffer library's buffered path", true};
    }
  }
  return {};
}

void SnapshotRecorder::RequestCheckpoint(RecordTask& task, uint64_t name_addr) {
  std::string name;
  if (name_addr != 0) {
    Expected<std::string> read = task.tracee.ReadCString(name_addr, REWIND_CHECKPOINT_NAME_MAX);
    if (read.ok()) {
      name = std::move(*read);
      if (name.size() > REWIND_CHECKPOINT_NAME_MAX) name.resize(REWIND_CHECKPOINT_NAME_MAX);
    } else {
      Note("rewind_checkpoint's name could not be read (" + read.status().message() +
           "): the checkpoint has none");
    }
  }
  task.checkpoint_name = std::move(name);
}

void SnapshotRecorder::MaybeSnapshot(RecordTask& task,
                                     const std::optional<std::string>& checkpoint) {
  if (!taker_) return;
  if (Injectable(task)) {
    Status reaped =
        taker_->ReapCopies(task.tgid, task.tracee, ProcessOf(task).patcher.syscall_insn());
    if (!reaped.ok()) Note("a snapshot was not written: " + reaped.message());
  }
  if (!checkpoint && !taker_->Due()) return;
  Status previous = taker_->Wait();
  if (!previous.ok()) Note("a snapshot was not written: " + previous.message());
  Obstacle obstacle = SnapshotObstacle(task);
  if (!obstacle.why.empty()) {
    if (checkpoint) {
      Note("rewind_checkpoint(\"" + *checkpoint + "\") at event " +
           std::to_string(s_.writer_->events_written()) + " took no snapshot: " + obstacle.why);
      return;
    }
    // Tried again at the next boundary; counted once a whole interval
    // passed without one.
    bool skipped = taker_->Refused(obstacle.why);
    if (!s_.on_verbose_) return;
    if (skipped) {
      s_.on_verbose_("an interval passed without a snapshot (event " +
                     std::to_string(s_.writer_->events_written()) + "): " + obstacle.why);
    } else if (!obstacle.passing && s_.noted_.insert(obstacle.why).second) {
      s_.on_verbose_("no snapshots while " + obstacle.why);
    }
    return;
  }
  SnapshotRequest request;
  request.snapshot = Describe(task.tgid, task.tid());
  trace::Snapshot& snap = request.snapshot;
  if (checkpoint) snap.name = *checkpoint;
  const ProcessState& process = s_.processes_.at(task.tgid);
  request.leader = &task.tracee;
  request.copy_is_its_child = task.tgid != s_.root_pid_;
  request.syscall_insn = process.patcher.syscall_insn();
  request.fork_advice = process.fork_advice;
  request.file_ids = s_.file_ids_;
  // The leader first: restoring recreates the others from it.
  auto leader_first = [&](pid_t tgid) {
    std::vector<const RecordTask*> threads;
    for (const auto& t : s_.tasks_) {
      if (t->tgid == tgid) threads.push_back(t.get());
    }
    std::stable_partition(threads.begin(), threads.end(),
                          [](const RecordTask* t) { return t->tid() == t->tgid; });
    return threads;
  };
  auto source = [](const RecordTask& t) {
    SnapshotThreadSource source{&t.tracee, t.clear_child_tid, t.name, t.syscallbuf, t.altstack};
    if (t.pending) source.parked = &*t.pending->entry_state;  // Parked (SnapshotObstacle)
    return source;
  };
  for (const RecordTask* t : leader_first(task.tgid)) {
    request.threads.push_back(source(*t));
  }
  for (const auto& [pid, other] : s_.processes_) {
    if (pid == task.tgid) continue;
    std::vector<const RecordTask*> threads = leader_first(pid);
    ParkedProcess parked{Describe(pid, threads.front()->tid()), pid};
    for (const RecordTask* t : threads) {
      SnapshotThreadSource from = source(*t);
      if (from.parked) {
        parked.snapshot.threads.push_back(*from.parked);
        continue;
      }
      // Switched away from: its registers are where it goes on.
      Expected<trace::SnapshotThread> state = CaptureThread(from);
      if (!state.ok()) {
        Note("a snapshot was not taken: " + state.status().message());
        return;
      }
      parked.snapshot.threads.push_back(std::move(*state));
    }
    request.parked.push_back(std::move(parked));
  }
  for (ParkedProcess& p : request.parked) p.snapshot.processes = s_.processes_.size();
  snap.processes = s_.processes_.size();
  Status taken = taker_->Take(std::move(request));
  if (!taken.ok()) Note("a snapshot was not taken: " + taken.message());
}

trace::Snapshot SnapshotRecorder::Describe(pid_t tgid, pid_t current_tid) const {
  const ProcessState& process = s_.processes_.at(tgid);
  trace::Snapshot snap;
  snap.event = s_.writer_->events_written();
  snap.pid = tgid;
  snap.parent_pid = process.parent;
  snap.current_tid = current_tid;
  snap.exec_path = process.exec_path;
  snap.exec_event = process.exec_event;
  snap.brk = process.brk;
  for (const CodePatcher::SavedPatch& p : process.patcher.Saved()) {
    trace::SnapshotPatch sp;
    sp.addr = p.addr;
    sp.original = p.original;
    if (p.trap) {
      sp.has_trap = true;
      sp.trap_kind = static_cast<uint8_t>(p.trap->kind);
      sp.trap_length = p.trap->length;
      sp.trap_dest_reg = p.trap->dest_reg;
      sp.trap_operand_bytes = p.trap->operand_bytes;
    }
    snap.patches.push_back(std::move(sp));
  }
  snap.vdso_syscall_insn = process.patcher.syscall_insn();
  snap.patch_tsc_reads = process.patcher.kinds().tsc_reads;
  snap.patch_cpuid = process.patcher.kinds().cpuid;
  for (const auto& [signo, bytes] : process.sigactions) snap.sigactions.push_back({signo, bytes});
  for (const auto& [start, end] : process.fork_advice.DontForkRanges()) {
    snap.dont_fork.push_back({start, end});
  }
  for (const auto& [start, end] : process.fork_advice.WipeOnForkRanges()) {
    snap.wipe_on_fork.push_back({start, end});
  }
  return snap;
}

void SnapshotRecorder::FinishSnapshots() {
  if (!taker_) return;
  Status s = taker_->Wait();
  if (!s.ok()) Note("the last snapshot was not written: " + s.message());
  Status skips = taker_->WriteSkips();
  if (!skips.ok()) Note("the count of skipped snapshots was not written: " + skips.message());
  const SnapshotStats& stats = taker_->stats();
  uint64_t skipped = 0;
  for (const auto& [why, count] : taker_->skips()) skipped += count;
  if (s_.on_verbose_ && (stats.taken > 0 || skipped > 0)) {
    s_.on_verbose_(std::to_string(stats.taken) + " snapshots taken, the program stopped at most " +
                   std::to_string(stats.max_stop_us) + " us for one; " + std::to_string(skipped) +
                   " intervals passed without one");
  }
}

}  // namespace rwd::recorder
