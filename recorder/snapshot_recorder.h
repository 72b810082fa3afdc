// SnapshotRecorder: a RecordSession's part that takes the persistent
// snapshots (recorder/snapshot_taker.h): when one is due and where one can
// be taken, and the kernel state it must carry that the kernel will not
// tell (record_snapshots.cc).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "recorder/record_part.h"
#include "recorder/snapshot_taker.h"

namespace rwd::recorder {

class SnapshotRecorder : public RecordPart {
 public:
  explicit SnapshotRecorder(RecordSession& session) : RecordPart(session) {}

  // At an event boundary of `task` (the running thread): takes a snapshot
  // when one is due, or one named `checkpoint` (the program asked for it),
  // and the process can be copied here.
  void MaybeSnapshot(RecordTask& task, const std::optional<std::string>& checkpoint);
  // rewind_checkpoint's syscall, with the name at `name_addr` (0: none):
  // wants a snapshot at its exit. The syscall itself fails with ENOSYS, as
  // without rewind, and replays as any syscall the kernel lacks.
  void RequestCheckpoint(RecordTask& task, uint64_t name_addr);
  // Why no snapshot can be taken now (`why` empty when one can).
  struct Obstacle {
    std::string why;
    // Gone at some later boundary as a rule (a signal on its way, a thread
    // between two stops), where the others stand for a while.
    bool passing = false;
  };
  Obstacle SnapshotObstacle(const RecordTask& task) const;
  // Per-thread and per-process kernel state a snapshot must carry, from a
  // syscall that succeeded.
  void TrackKernelState(RecordTask& task, const PendingSyscall& pending, int64_t result);
  // Waits for the last snapshot; tells the user what failed.
  void FinishSnapshots();
  // At the entry stop of a syscall `task` is about to run: keeps what a
  // snapshot taken while it waits there needs (PendingSyscall::entry_state)
  // if one may be taken then, i.e. another thread or process runs meanwhile.
  void KeepEntryState(RecordTask& task);
  // `task` stopped, or is about to be scheduled: if the writer reads its
  // process as it is, waits for it before the process can run again.
  void OnStop(const RecordTask& task);

  // While `task`, the running thread, runs its own code without stopping at
  // syscalls (its syscall buffer takes them): how often the recorder's wait
  // must wake up to ask for an event boundary when a snapshot is due;
  // nullopt when it need not (the thread stops at its syscalls anyway).
  std::optional<std::chrono::microseconds> BoundaryWakeup(const RecordTask& task) const;
  // From such a wakeup: if a snapshot is due, asks `task`'s library to send
  // its next call to the recorder instead of buffering it
  // (rwd_sb_header::boundary_wanted), so a program whose calls are all
  // buffered still reaches a boundary every interval.
  void AskForBoundary(RecordTask& task);
  // `task` stopped at a syscall's exit, an event boundary: its library
  // buffers again (before a snapshot copies its memory).
  void BoundaryReached(RecordTask& task);

  // Snapshots are taken by `taker` (none without one).
  void set_taker(std::unique_ptr<SnapshotTaker> taker) { taker_ = std::move(taker); }
  // A snapshot's interval has passed (--snapshot-interval): one is taken
  // at the next boundary where every other process waits in a syscall.
  bool due() const { return taker_ && taker_->Due(); }

 private:
  // A thread other than the current one is waiting in a syscall, with the
  // state a snapshot restores it in.
  bool Parked(const RecordTask& t) const;
  // A thread other than the current one is stopped where the scheduler switched
  // away from it (a preemption, while it computes): its registers are
  // those it goes on with, and it runs again only through Schedule.
  bool SwitchedAway(const RecordTask& t) const;
  // `task` is at an event boundary where a syscall can be injected.
  static bool Injectable(const RecordTask& task);
  // Why it is not ("" when it is).
  static std::string NotInjectable(const RecordTask& task);
  // Why a thread other than the current one is neither Parked nor
  // SwitchedAway.
  static std::string NotRestorable(const RecordTask& t);
  // `task`, with registers `regs`, is in code called from inside the
  // syscall buffer library's buffered path, whose record and replay paths
  // differ.
  static bool InsideSyscallBuffer(const RecordTask& task, const arch::Registers& regs);
  // The same for any thread of process `tgid`, `current` at its boundary.
  bool AnyInsideSyscallBuffer(pid_t tgid, const RecordTask& current) const;
  // Process `tgid` as its snapshot describes it, but for threads and pages.
  trace::Snapshot Describe(pid_t tgid, pid_t current_tid) const;

  std::unique_ptr<SnapshotTaker> taker_;
};

}  // namespace rwd::recorder
