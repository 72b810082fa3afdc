// SnapshotTaker: persistent snapshots of the recorded process, taken at
// event boundaries every `interval` of recording time (trace/snapshot.h).
//
// Take() runs with every thread of the process stopped: it reads each
// thread's registers and forks the process copy-on-write (ForkTracee), and
// the program goes on at once; its stop is about the fork's duration. A
// writer thread then reads the frozen copy's memory through /proc/PID/mem,
// finds the pages to store, writes the snapshot file and kills the copy.
//
// Which pages changed since the previous snapshot is found by content:
// every resident page of the copy is hashed (XXH3-128) and looked up among
// the pages earlier snapshots of this recording stored, so an unchanged
// page, or one identical to any stored page, costs a reference. Measured on
// this machine (2 vCPUs, loaded), for a process with 1 GiB resident and
// 10 MiB written between snapshots: pagemap + read + hash of 1 GiB takes
// ~0.35-0.6 s of the writer's CPU and nothing of the program's; userfaultfd
// write-protection in async mode with PAGEMAP_SCAN finds the 2560 written
// pages in ~1-5 ms, but needs a userfaultfd inside the program (injected,
// visible in its fd table, clashing with its own), 150 ms to protect 1 GiB,
// and costs the program a fault on each first write per interval (~50 us
// each here, ~130 ms per 10 MiB). Hashing keeps the program untouched.
// Clean pages of private file mappings (pagemap says the page is the
// file's) and pages never touched (not present) are not read at all, nor
// are the records already flushed and the library's stack in the threads'
// syscall buffers.
//
// The copy of the process the recorder started is a child of the recorder
// (ForkTracee's CLONE_PARENT), without exit signal; the recorder's wait for
// any tracee reaps it, Finish() too. The copy of a process some recorded
// process forked is that process's own child instead, without exit signal
// (a sibling would inherit its exit signal and signal the recorded parent
// when it dies): after the recorder reaps it as its tracer, the process
// itself reaps it through an injected wait4 at one of its next events
// (ReapCopies), or init does when it ends. Only its own waits with __WALL
// could see it meanwhile.
// Several processes: the one whose event it is gets forked as above; every
// other one must be waiting inside a syscall, or stopped where the
// recorder switched away from it (ParkedProcess), and is read as it is,
// with the registers of that syscall's entry or of that stop; the recorder
// keeps it stopped at its next stop, or before it schedules it again,
// until the writer is done (ReadsLive). The
// files of one event form a set, written in sequence order.
//
// Take(), Due() and Finish() are for the recording thread; one snapshot is
// written at a time.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "core/fork_advice.h"
#include "core/tracee.h"
#include "trace/snapshot.h"
#include "trace/snapshot_store.h"

namespace rwd::recorder {

struct SnapshotThreadSource {
  const Tracee* tracee = nullptr;  // stopped
  uint64_t clear_child_tid = 0;
  std::string name;
  uint64_t syscallbuf = 0;  // its syscall buffer's header, 0 for none
  std::vector<uint8_t> altstack;  // RecordTask::altstack
  // A thread waiting inside a syscall: the state read at its entry
  // (PendingSyscall::entry_state), taken as it is; the kernel tells the
  // registers of a thread inside a syscall to nobody.
  const trace::SnapshotThread* parked = nullptr;
};

// A process of the set that is parked in a syscall, or stopped where the
// recorder switched away from it (every thread of it): not forked, its
// memory is read as it is. It cannot change before the recorder handles its
// next stop or schedules it, which waits for the writer
// (SnapshotTaker::ReadsLive).
struct ParkedProcess {
  trace::Snapshot snapshot;  // described as SnapshotRequest's, threads included
  pid_t pid = 0;             // live
};

struct SnapshotRequest {
  // Filled by the caller: event, name, pid, current_tid, exec_path,
  // patches, vdso_syscall_insn, patch_tsc_reads, patch_cpuid,
  // sigactions, processes, parent_pid.
  trace::Snapshot snapshot;
  // The other processes of the set (snapshot.processes - 1 of them).
  std::vector<ParkedProcess> parked;
  Tracee* leader = nullptr;  // at a syscall or ptrace-event stop
  // The process is not the recorder's child: its copy is its own child
  // (CopyParent::kTracee), to be reaped through it (ReapCopies).
  bool copy_is_its_child = false;
  uint64_t syscall_insn = 0;  // for the injected fork
  // The process's fork advice, lent to the copy for the fork (the copy
  // holds all of its memory, the wiped ranges with their contents).
  ForkAdvice fork_advice;
  std::vector<SnapshotThreadSource> threads;  // the leader first
  // Trace copies of the files mapped (path -> content id).
  std::map<std::string, std::string> file_ids;
};

struct SnapshotStats {
  uint64_t taken = 0;
  uint64_t failed = 0;
  uint64_t max_stop_us = 0;
};

// A stopped thread's state as a snapshot keeps it (the alternate stack as
// the recorder tracked it: only an injected syscall can ask the kernel).
Expected<trace::SnapshotThread> CaptureThread(const SnapshotThreadSource& source);

class SnapshotTaker {
 public:
  SnapshotTaker(std::string trace_dir, std::chrono::milliseconds interval);
  ~SnapshotTaker();
  SnapshotTaker(const SnapshotTaker&) = delete;
  SnapshotTaker& operator=(const SnapshotTaker&) = delete;

  // The interval has passed since the last snapshot (or the start) and the
  // previous one is written (Wait() then returns at once).
  bool Due() const;
  // How long until the interval has passed (zero once it has); nullopt
  // when snapshots are off.
  std::optional<std::chrono::steady_clock::duration> UntilDue() const;
  // Forks the process and starts writing. A failure leaves no copy and
  // does not affect the program.
  Status Take(SnapshotRequest request);
  // Waits for the snapshot being written; returns its failure, if any.
  Status Wait();
  // The writer is reading process `pid`'s memory as it is (ParkedProcess):
  // it must stay stopped until Wait().
  bool ReadsLive(pid_t pid) const;
  // Copies of process `pid` written and dead, its children: reaps them by
  // a wait4 injected into `leader` (a thread of it at an event boundary),
  // so that its own waits never see them. Nothing while the writer runs.
  Status ReapCopies(pid_t pid, Tracee& leader, uint64_t syscall_insn);
  // A snapshot is due and cannot be taken now, for `reason`: counts one
  // skipped interval when a whole interval has passed since the snapshot
  // became due, or since the last skip counted, without one being taken.
  // A snapshot merely delayed to a later boundary is no skip. Returns
  // whether one was counted.
  bool Refused(const std::string& reason);
  // Writes the skips counted, if any, into the trace (snapshots/skipped).
  Status WriteSkips() const;
  const trace::SnapshotSkips& skips() const { return skips_; }
  const SnapshotStats& stats() const { return stats_; }

 private:
  // On the writer thread: the image of `pid` (a copy, or a parked process)
  // as `snapshot`.
  Status Write(pid_t pid, trace::Snapshot snapshot,
               const std::map<std::string, std::string>& file_ids);

  struct PageKey {
    uint64_t lo = 0, hi = 0;
    bool operator==(const PageKey&) const = default;
  };
  struct PageKeyHash {
    size_t operator()(const PageKey& k) const { return k.lo ^ (k.hi * 0x9e3779b97f4a7c15ull); }
  };

  std::string trace_dir_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_;
  uint32_t next_seq_ = 0;
  std::thread writer_;
  std::atomic<bool> written_{false};  // the writer thread is done
  pid_t copy_ = 0;                    // being written
  std::vector<pid_t> live_;           // parked processes being read
  // Copies that are children of a recorded process (by its pid), to reap.
  std::map<pid_t, std::vector<pid_t>> unreaped_;
  Status writer_status_;
  // Every page content stored so far in this trace, and where.
  std::unordered_map<PageKey, trace::PageRef, PageKeyHash> stored_;
  SnapshotStats stats_;
  std::chrono::steady_clock::time_point last_skip_{};
  trace::SnapshotSkips skips_;
};

}  // namespace rwd::recorder
