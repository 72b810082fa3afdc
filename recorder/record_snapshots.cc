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
#include <span>

#include "include/rewind/checkpoint.h"
#include "preload/syscallbuf_abi.h"
#include "recorder/record_session.h"

namespace rwd::recorder {

namespace {

// rt_sigaction's struct: handler, flags, restorer, then the mask of
// `sigsetsize` bytes (the same order on x86-64 and AArch64).
constexpr size_t kSigactionHeadBytes = 24;
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

bool SnapshotRecorder::HandlerOnAltStack(const ProcessState& process) {
  constexpr uint64_t kOnStack = 0x08000000;  // SA_ONSTACK
  for (const auto& [signo, bytes] : process.sigactions) {
    uint64_t flags = 0;
    if (bytes.size() >= 16) std::memcpy(&flags, bytes.data() + 8, sizeof flags);
    if (flags & kOnStack) return true;
  }
  return false;
}

void SnapshotRecorder::KeepEntryState(RecordTask& task) {
  if (!taker_ || s_.processes_.size() < 2 || !task.pending || !task.pending->info->may_block ||
      s_.ThreadsOf(task.tgid) != 1 || !task.tracee.arch().SyscallStopClobberedWords().empty()) {
    return;
  }
  Expected<trace::SnapshotThread> state =
      CaptureThread({&task.tracee, task.clear_child_tid, task.name, task.syscallbuf});
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

bool SnapshotRecorder::InsideSyscallBuffer(const RecordTask& task) {
  if (task.syscallbuf == 0 || !task.boundary_regs) return false;
  // A signal's handler that interrupted the library's buffered path (on
  // the stack at the end of the buffer): restored, the handler would
  // return into the recording's path, which replay does not take.
  uint64_t sp = task.tracee.arch().Sp(*task.boundary_regs);
  uint64_t stack_end = task.syscallbuf + RWD_SB_BUFFER_SIZE;
  if (sp >= stack_end - RWD_SB_STACK_SIZE && sp < stack_end) return true;
  // The same on another stack (sigaltstack), once the call is under way.
  Expected<uint64_t> busy =
      task.tracee.Read<uint64_t>(task.syscallbuf + offsetof(rwd_sb_header, busy));
  return !busy.ok() || *busy != 0;
}

bool SnapshotRecorder::Injectable(const RecordTask& task) {
  if (task.vfork_child != 0 || task.stop_sent || !task.deferred.empty() || task.reinjected ||
      task.reentering || !task.boundary_regs) {
    return false;
  }
  // A syscall a signal interrupted, to be restarted on the way out of this
  // stop (-ERESTARTSYS and its kin): an injected syscall would consume the
  // restart and leave the program the kernel's internal errno.
  int64_t result = task.tracee.arch().SyscallResult(*task.boundary_regs);
  return result < -kLastRestartErrno || result > -kFirstRestartErrno;
}

std::string SnapshotRecorder::SnapshotObstacle(const RecordTask& task) const {
  if (!task.tracee.arch().SyscallStopClobberedWords().empty()) {
    return std::string("this architecture (") + std::string(task.tracee.arch().name()) +
           ") hides registers at syscall stops";
  }
  // Replay restores one thread per process (replayer/replay_snapshot.cc):
  // a snapshot of more would only be refused there.
  if (s_.ThreadsOf(task.tgid) != 1) return "several threads run";
  if (s_.processes_.count(s_.root_pid_) == 0) return "the first process ended";
  for (const auto& [pid, process] : s_.processes_) {
    if (process.syscallbuf_patching) return "the syscall buffer library sets up";
    if (pid == task.tgid) continue;
    if (s_.ThreadsOf(pid) != 1) return "several threads run";
    // Its alternate signal stack is known only to an injected syscall,
    // which a thread inside a syscall cannot run.
    if (HandlerOnAltStack(process)) return "a waiting process has a handler on an alternate stack";
  }
  if (s_.scheduler_.dying() != 0 || !Injectable(task)) return "busy";
  if (InsideSyscallBuffer(task)) return "busy";
  bool leader = false;
  for (const auto& t : s_.tasks_) {
    if (t->tid() == t->tgid && t->tgid == task.tgid) leader = !t->zombie;
    if (t.get() == &task) continue;
    if (t->tgid != task.tgid) {
      // Another process: restored waiting in a syscall, or where the
      // scheduler switched away from it (computing), as it is now.
      if (!Parked(*t) && !SwitchedAway(*t))
        return "another process is stopped where no snapshot can restore it";
      continue;
    }
    if (t->state != RecordTask::State::kStopped || t->unhandled || t->pending || t->zombie ||
        t->fresh || t->stop_sent || !t->deferred.empty() || t->vfork_child != 0) {
      return "busy";
    }
  }
  return leader ? "" : "the main thread ended";
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
  std::string obstacle = SnapshotObstacle(task);
  if (!obstacle.empty()) {
    if (checkpoint) {
      Note("rewind_checkpoint(\"" + *checkpoint + "\") at event " +
           std::to_string(s_.writer_->events_written()) + " took no snapshot: " +
           (obstacle == "busy" ? "the recorder was in the middle of a signal or a switch"
                               : obstacle));
    } else if (obstacle != "busy" && s_.on_verbose_ && s_.noted_.insert(obstacle).second) {
      s_.on_verbose_("no snapshots while " + obstacle);
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
  request.file_ids = s_.file_ids_;
  // The leader first: restoring recreates the others from it.
  std::vector<const RecordTask*> threads;
  for (const auto& t : s_.tasks_) {
    if (t->tgid == task.tgid) threads.push_back(t.get());
  }
  std::stable_partition(threads.begin(), threads.end(),
                        [](const RecordTask* t) { return t->tid() == t->tgid; });
  for (const RecordTask* t : threads) {
    request.threads.push_back({&t->tracee, t->clear_child_tid, t->name, t->syscallbuf});
  }
  for (const auto& t : s_.tasks_) {
    if (t->tgid == task.tgid) continue;
    ParkedProcess parked{Describe(t->tgid, t->tid()), t->tid()};
    if (t->pending) {
      parked.snapshot.threads.push_back(*t->pending->entry_state);
    } else {
      // Switched away from: its registers are where it goes on.
      Expected<trace::SnapshotThread> state =
          CaptureThread({&t->tracee, t->clear_child_tid, t->name, t->syscallbuf});
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
  return snap;
}

void SnapshotRecorder::FinishSnapshots() {
  if (!taker_) return;
  Status s = taker_->Wait();
  if (!s.ok()) Note("the last snapshot was not written: " + s.message());
  const SnapshotStats& stats = taker_->stats();
  if (s_.on_verbose_ && stats.taken > 0) {
    s_.on_verbose_(std::to_string(stats.taken) + " snapshots taken, the program stopped at most " +
                   std::to_string(stats.max_stop_us) + " us for one");
  }
}

}  // namespace rwd::recorder
