// RecordSession: runs a program under ptrace and writes its trace.
//
// The session follows the whole process tree: threads (clone), fork, vfork
// and exec in any process. One thread runs its own code at a time, as in rr:
//  - every syscall stops twice (PTRACE_SYSCALL); its result and the memory
//    the kernel wrote go into a SyscallEvent of that thread;
//  - a thread inside a syscall does not hold up the others: when another
//    thread becomes ready, a SyscallEntryEvent marks where the first one
//    stopped running and the scheduler moves on; its result is recorded when
//    it runs again;
//  - a thread that runs a whole time slice without an event while another is
//    ready is stopped (SIGSTOP) and a PreemptEvent fingerprints the point;
//  - switches at event boundaries need no event at all: replay runs a thread
//    only to reach that thread's next event.
// rdtsc/rdtscp fault (PR_TSC_SIGSEGV), cpuid faults where the CPU supports
// it, rdrand/rdseed are patched to trap; their values become InsnTrapEvents.
// Signals become SignalEvents. On any error, and on SIGTERM, SIGINT or SIGHUP
// to the recorder (stop_request.h), the trace so far is flushed and kept.
//
// The session's main loop takes the next stop from the scheduler and hands
// it to the part it concerns. Each part is a class of its own
// (record_part.h) with its own state:
//   RecordScheduler        which thread runs, time slices, the StopSource
//   SyscallRecorder        syscall entries and exits, clone, exec, mmap
//   SyscallBufferRecorder  the in-process syscall buffer's batches
//   SignalRecorder         signals, trapped instructions, preemptions
//   SnapshotRecorder       persistent snapshots
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/clock.h"
#include "core/code_patcher.h"
#include "core/probe_stub.h"
#include "core/process.h"
#include "core/tracee.h"
#include "recorder/chaos_policy.h"
#include "recorder/fatal_signal.h"
#include "recorder/pass_counter.h"
#include "recorder/record_part.h"
#include "recorder/record_process.h"
#include "recorder/record_scheduler.h"
#include "recorder/record_task.h"
#include "recorder/signal_recorder.h"
#include "recorder/snapshot_recorder.h"
#include "recorder/snapshot_taker.h"
#include "recorder/spin_trap.h"
#include "recorder/syscall_recorder.h"
#include "recorder/syscallbuf_recorder.h"
#include "trace/trace_writer.h"

namespace rwd::recorder {

struct RecordOptions {
  std::string trace_dir;
  std::vector<std::string> argv;  // argv[0] names the program (PATH lookup)
  std::vector<std::string> envp;
  // Told, once per kind, where the recording departs from a run without
  // rewind (e.g. a syscall made to fail); may be empty.
  std::function<void(const std::string&)> on_note;
  // Randomized scheduling (ChaosPolicy) to make races show up.
  bool chaos = false;
  // Called when a signal is about to kill a process with a core dump.
  FatalSignalHook on_fatal_signal;
  // The in-process syscall buffer library (preload/): preloaded into the
  // programs, with a seccomp filter that lets its syscalls run without a
  // stop. Empty, or an architecture without one: every syscall stops.
  std::string syscallbuf_library;
  // Told where the syscall buffer is not used (a static binary, a library
  // that did not load); may be empty.
  std::function<void(const std::string&)> on_verbose;
  // Persistent snapshots every this much recording time; 0: none.
  std::chrono::milliseconds snapshot_interval{0};
  // What cpuid tells the programs. kBaseline on a CPU without cpuid
  // faulting patches every cpuid instruction, as rdrand's.
  arch::CpuidMask cpuid_mask = arch::CpuidMask::kNative;
  // Go on recording after the first process ended, until the processes it
  // left running (a daemon, a forgotten background job) end too. Otherwise
  // they are killed then, as rr does, and the trace ends with their deaths.
  bool wait_for_all = false;
};

class RecordSession {
 public:
  static Expected<std::unique_ptr<RecordSession>> Start(const RecordOptions& options);

  // Runs the program to its end. Returns its shell-style exit status
  // (128+N when killed by signal N).
  Expected<int> Run();
  uint64_t events_recorded() const { return writer_->events_written(); }

 private:
  RecordSession(Process process, Tracee tracee, std::unique_ptr<trace::TraceWriter> writer,
                const RecordOptions& options);

  friend class RecordPart;
  friend class RecordScheduler;
  friend class SyscallRecorder;
  friend class SyscallBufferRecorder;
  friend class SignalRecorder;
  friend class SnapshotRecorder;
  friend class SpinTrap;
  friend class PassCounter;

  // --- stops (record_session.cc) ---
  Status Step();
  Status Schedule(RecordTask& task);
  // Handles a stop of the scheduled thread; resumes it or switches away.
  Status HandleStop(RecordTask& task, const WaitStatus& ws);
  void StashStop(const WaitStatus& ws);
  // At an exec's event stop, reported under the leader's tid: when another
  // thread called execve, it becomes the leader (tid and all).
  Status TakeOverLeaderAtExec(pid_t leader_tid);
  // Whether `ws` is `task`'s group-stop: a stopping signal (job control)
  // stopped its process. It then stays stopped, not scheduled, until a
  // SIGCONT.
  bool InGroupStop(const RecordTask& task, const WaitStatus& ws) const;
  Status StayJobStopped(RecordTask& task);
  Status OnDeath(const WaitStatus& ws);
  Status Resume(RecordTask& task, int signo = 0);
  // `child` exec'd or ended: the thread that vforked it may run again.
  void ReleaseVforkParent(pid_t child);
  // `child` ended: the buffer it shared (RecordTask::shares_buffer_of) is
  // unlocked when no other child shares it.
  void ReleaseSharedBuffer(RecordTask& child);
  // Tells on_fatal_signal_ when delivering `signo` to `task` will crash its
  // process.
  void NoteFatalSignal(RecordTask& task, int signo);
  RecordTask* Find(pid_t tid);
  ProcessState& ProcessOf(const RecordTask& task) { return processes_[task.tgid]; }
  size_t ThreadsOf(pid_t tgid) const;

  // Tells the user, once per kind, where the recording departs from a run
  // without rewind.
  void Note(const std::string& note);

  Status Append(pid_t tid, trace::EventBody body);
  Status Append(const RecordTask& task, trace::EventBody body) {
    return Append(task.event_tid(), std::move(body));
  }
  Status Fail(Status status);
  // Fail(), or when `status` is a file copy cut by a stop request, the end of
  // the recording that request asked for (its shell status).
  Expected<int> FailOrStop(Status status);
  // A stop request (stop_request.h): flushes, then passes `signo` on to the
  // program, or when `again`, ends the recording. Returns whether it ended.
  Expected<bool> OnStopRequest(int signo, bool again);
  // The first process ended: kills the processes still running, once
  // (unless RecordOptions::wait_for_all); their deaths end the trace.
  void KillLeftoverProcesses();
  // After KillLeftoverProcesses: records each death, lets every other stop go.
  Status CollectKilledProcesses();
  // Whether `sender` (a signal's si_pid) is a recorded process or thread.
  bool SentByTheProgram(pid_t sender) const;

  Process process_;
  std::unique_ptr<trace::TraceWriter> writer_;
  // Threads by tid, in creation order for round-robin scheduling.
  std::vector<std::unique_ptr<RecordTask>> tasks_;
  std::map<pid_t, ProcessState> processes_;
  // Stops of threads not known yet (a new thread can stop before its
  // parent's clone event arrives).
  std::map<pid_t, WaitStatus> early_stops_;
  RecordTask* current_ = nullptr;
  pid_t root_pid_ = 0;
  std::optional<int> root_status_;
  // RecordOptions::wait_for_all; and whether the processes left running
  // when the first one ended were killed already.
  bool wait_for_all_ = false;
  bool leftovers_killed_ = false;
  // Path -> the content id it was last stored with (at an exec or an mmap),
  // for the snapshots of any process.
  std::map<std::string, std::string> file_ids_;
  // Our own stdout and stderr, read once: a write the program makes to the
  // same file is output replay reproduces there.
  std::array<std::optional<FileId>, 2> own_streams_;
  std::chrono::steady_clock::time_point last_flush_;
  std::function<void(const std::string&)> on_note_;
  int stop_during_copy_ = 0;  // the stop request that ended a file copy
  std::set<std::string> noted_;
  arch::CpuidMask cpuid_mask_ = arch::CpuidMask::kNative;
  FatalSignalHook on_fatal_signal_;
  bool syscallbuf_ = false;
  std::function<void(const std::string&)> on_verbose_;

  // The parts, each with its own state (see record_part.h).
  RecordScheduler scheduler_{*this};
  SyscallRecorder syscalls_{*this};
  SyscallBufferRecorder buffer_{*this};
  SignalRecorder signals_{*this};
  SnapshotRecorder snapshots_{*this};
  SpinTrap spin_{*this};
  PassCounter passes_{*this};
};

// RecordPart's calls (record_part.h), here where RecordSession is complete.
inline Status RecordPart::Append(pid_t tid, trace::EventBody body) const {
  return s_.Append(tid, std::move(body));
}
inline Status RecordPart::Append(const RecordTask& task, trace::EventBody body) const {
  return s_.Append(task, std::move(body));
}
inline RecordTask* RecordPart::Find(pid_t tid) const { return s_.Find(tid); }
inline ProcessState& RecordPart::ProcessOf(const RecordTask& task) const {
  return s_.ProcessOf(task);
}
inline void RecordPart::Note(const std::string& note) const { s_.Note(note); }
inline Status RecordPart::Resume(RecordTask& task, int signo) const {
  return s_.Resume(task, signo);
}

}  // namespace rwd::recorder
