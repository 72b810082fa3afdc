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
#include "recorder/record_task.h"
#include "recorder/snapshot_taker.h"
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
};

class RecordSession {
 public:
  static Expected<std::unique_ptr<RecordSession>> Start(const RecordOptions& options);

  // Runs the program to its end. Returns its shell-style exit status
  // (128+N when killed by signal N).
  Expected<int> Run();
  uint64_t events_recorded() const { return writer_->events_written(); }

 private:
  // Per process (address space).
  struct ProcessState {
    CodePatcher patcher;
    // The thread whose action ends the process (exit_group, a fatal signal,
    // the last thread's exit); its ExitEvent carries the process's status.
    pid_t ender = 0;
    std::optional<int> leader_status;  // waitpid status of the leader's death
    // Code addresses where an in-process probe fits (ProbeStub::CheckSite),
    // found while walking threads to probe sites; forgotten when a mapping
    // changes.
    std::map<uint64_t, bool> probe_sites;
    // The program installed a seccomp filter of its own, which may answer a
    // syscall before ours traces it: its threads stop at every syscall
    // (PTRACE_SYSCALL) even with the syscall buffer.
    bool ptrace_syscalls = false;
    // A thread registered a syscall buffer since the last exec.
    bool buffered = false;
    std::string exec_path;
    // The syscall buffer library's hot code here, where record and replay
    // take different paths: a thread stopped inside it is walked out before
    // its point is fingerprinted (record_syscallbuf.cc).
    uint64_t syscallbuf_code_start = 0;
    uint64_t syscallbuf_code_end = 0;
    // Each signal's disposition as last set (rt_sigaction's struct), for
    // snapshots: the kernel cannot be asked without running the program.
    std::map<int, std::vector<uint8_t>> sigactions;
    uint64_t exec_event = 0;  // events recorded up to its last exec, included
    uint64_t brk = 0;         // what brk() last returned; 0 since the exec
  };

  RecordSession(Process process, Tracee tracee, std::unique_ptr<trace::TraceWriter> writer,
                const RecordOptions& options);

  // --- scheduling (record_session.cc) ---
  Status Step();
  Status Schedule(RecordTask& task);
  // Handles a stop of the scheduled thread; resumes it or switches away.
  Status HandleStop(RecordTask& task, const WaitStatus& ws);
  void StashStop(const WaitStatus& ws);
  Status OnDeath(const WaitStatus& ws);
  Status Resume(RecordTask& task, int signo = 0);
  // Leaves `task` stopped and lets the scheduler pick another thread.
  void SwitchAway(RecordTask& task);
  RecordTask* PickNext();
  bool Ready(const RecordTask& task) const;
  bool OthersReady(const RecordTask& task) const;
  // `child` exec'd or ended: the thread that vforked it may run again.
  void ReleaseVforkParent(pid_t child);
  // Tells on_fatal_signal_ when delivering `signo` to `task` will crash its process.
  void NoteFatalSignal(RecordTask& task, int signo);
  // nullopt when the scheduler switched threads while waiting.
  Expected<std::optional<WaitStatus>> WaitForStop();
  // Runs every few ms while a wait blocks; true to stop waiting.
  bool OnWakeup();
  RecordTask* Find(pid_t tid);
  ProcessState& ProcessOf(const RecordTask& task) { return processes_[task.tgid]; }
  // Whether another thread of task's process is in a syscall whose entry
  // was recorded and whose SyscallEvent was not: its results may land in
  // memory at any moment, so a fingerprint taken now must not hash the
  // globals (trace/event.h).
  bool SyscallInFlightBeside(const RecordTask& task) const;
  size_t ThreadsOf(pid_t tgid) const;

  // --- syscalls (record_syscalls.cc) ---
  Status OnSyscallEntry(RecordTask& task, const SyscallStopInfo& info);
  // `regs`: the thread's registers at the exit stop, updated when the
  // recorder changes them.
  Status OnSyscallExit(RecordTask& task, arch::Registers& regs);
  Status OnCloneEvent(RecordTask& task);
  // Keeps a copy of the #! script an execve ran, if it was one; its id or "".
  Expected<std::string> StoreScript(const std::string& open_path, const std::string& path);
  Status RecordExec(RecordTask& task, const PendingSyscall& pending);
  Status RecordMmap(RecordTask& task, trace::SyscallEvent& event);
  Status RecordSyscallEntry(RecordTask& task);
  // At an entry stop with our SIGSTOP pending: takes the SIGSTOP without
  // running the syscall and puts the thread back onto its instruction.
  Status AbsorbStopAtEntry(RecordTask& task);
  Expected<trace::SyscallEvent> FinishSyscall(RecordTask& task, const PendingSyscall& pending,
                                              int64_t result);

  // --- the in-process syscall buffer (record_syscallbuf.cc) ---
  // How a thread runs its own code: PTRACE_CONT where the seccomp filter
  // stops it at syscalls, PTRACE_SYSCALL otherwise.
  ResumeMode RunMode(const RecordTask& task);
  // A PTRACE_EVENT_SECCOMP stop: the syscall's entry.
  Status OnSeccompStop(RecordTask& task);
  // The library's RWD_SB_REGISTER call: accepts the buffer when it is sound.
  Status RegisterSyscallBuffer(RecordTask& task, PendingSyscall& pending);
  // Writes the syscalls buffered since the thread's last event as one
  // SyscallBatchEvent and empties the buffer.
  Status FlushSyscallBuffer(RecordTask& task);
  // A vfork child shares the thread's memory, buffer included, until it
  // execs or ends: its syscalls must stop.
  void LockSyscallBuffer(RecordTask& task, bool locked);
  // Single-steps a thread stopped inside the library's code out of it:
  // record and replay take different paths there.
  Status StepOutOfSyscallBuffer(RecordTask& task, arch::Registers& regs);
  void NoteUnbuffered(pid_t tgid);

  // --- signals (record_signals.cc) ---
  // Returns the signal to deliver when resuming (0 for none), or -1 when the
  // thread was switched away from.
  Expected<int> OnSignal(RecordTask& task, int signo);
  Expected<bool> EmulateTrapInsn(RecordTask& task, int signo, arch::Registers& regs);
  Status RecordSignal(RecordTask& task, int signo, const std::vector<uint8_t>& siginfo,
                      const arch::Registers& regs, bool with_fingerprint,
                      const std::optional<ProbeMemCheck>& word = std::nullopt);
  Status RecordPreempt(RecordTask& task, const arch::Registers& regs,
                       const std::optional<ProbeMemCheck>& word);
  // Single-steps a thread stopped mid-code to a point an in-process probe
  // can find again; updates `regs`. `word`: a stack word that tells the
  // loop's passes apart when its registers do not.
  Status MoveToProbeSite(RecordTask& task, arch::Registers& regs,
                         std::optional<ProbeMemCheck>* word);
  // Delivers the oldest held-back signal where the stopped thread is (after
  // walking it to a probe site unless `at_boundary`) and records where;
  // returns the signal to resume with.
  Expected<int> PlaceDeferredSignal(RecordTask& task, arch::Registers& regs, bool at_boundary);
  // One single-step of a stopped thread; signals that interrupt it are held back.
  Status StepOnce(RecordTask& task);
  // When the stopped thread's pc is on an instruction that repeats inside
  // itself (InterruptibleInsnLength), runs it to its end; sets `*finished`.
  // Signals that interrupt it are held back, as in StepOnce.
  Status FinishInterruptibleInsn(RecordTask& task, bool* finished);
  // At a syscall-entry stop: the deferred signal to deliver now, or 0.
  int TakeDeferredSignal(RecordTask& task, const PendingSyscall& pending);
  // Holds back an asynchronous signal until the thread's next syscall or
  // the patience runs out. A standard signal already held back merges with
  // it, as a pending one does in the kernel.
  void Defer(RecordTask& task, int signo, const std::vector<uint8_t>& siginfo);
  // When the oldest held-back signal must be placed where the thread is.
  void SetDeferDeadline(RecordTask& task);

  // How the recorder fails a syscall the program may make but that cannot
  // be recorded as it would run (0: it runs). Notes the reason once.
  int DenialOf(const arch::Arch& arch, const arch::SyscallInfo& row,
               const std::array<uint64_t, 6>& args);
  void Note(const std::string& note);

  // --- snapshots (record_snapshots.cc) ---
  // At an event boundary of `task` (the running thread): takes a snapshot
  // when one is due, or one named `checkpoint` (the program asked for it),
  // and the process can be copied here.
  void MaybeSnapshot(RecordTask& task, const std::optional<std::string>& checkpoint);
  // rewind_checkpoint's syscall, with the name at `name_addr` (0: none):
  // wants a snapshot at its exit. The syscall itself fails with ENOSYS, as
  // without rewind, and replays as any syscall the kernel lacks.
  void RequestCheckpoint(RecordTask& task, uint64_t name_addr);
  // Why no snapshot can be taken now ("" when one can).
  std::string SnapshotObstacle(const RecordTask& task) const;
  // Per-thread and per-process kernel state a snapshot must carry, from a
  // syscall that succeeded.
  void TrackKernelState(RecordTask& task, const PendingSyscall& pending, int64_t result);
  // Waits for the last snapshot; tells the user what failed.
  void FinishSnapshots();

  Status Append(pid_t tid, trace::EventBody body);
  Status Append(const RecordTask& task, trace::EventBody body) {
    return Append(task.tid(), std::move(body));
  }
  Status Fail(Status status);
  // A stop request (stop_request.h): flushes, then passes `signo` on to the
  // program, or when `again`, ends the recording. Returns whether it ended.
  Expected<bool> OnStopRequest(int signo, bool again);

  Process process_;
  std::unique_ptr<trace::TraceWriter> writer_;
  // Threads by tid, in creation order for round-robin scheduling.
  std::vector<std::unique_ptr<RecordTask>> tasks_;
  std::map<pid_t, ProcessState> processes_;
  // Stops of threads not known yet (a new thread can stop before its
  // parent's clone event arrives).
  std::map<pid_t, WaitStatus> early_stops_;
  RecordTask* current_ = nullptr;
  // A process whose threads are dying (exit_group); nothing is scheduled
  // until its end is recorded.
  pid_t dying_ = 0;
  Status deferred_error_;  // from OnWakeup, reported by Step
  pid_t last_scheduled_ = 0;
  pid_t root_pid_ = 0;
  std::optional<int> root_status_;
  // Path -> the content id it was last stored with (at an exec or an mmap),
  // for the snapshots of any process.
  std::map<std::string, std::string> file_ids_;
  // Our own stdout and stderr, read once: a write the program makes to the
  // same file is output replay reproduces there.
  std::array<std::optional<FileId>, 2> own_streams_;
  std::chrono::steady_clock::time_point last_flush_;
  std::function<void(const std::string&)> on_note_;
  std::set<std::string> noted_;
  std::optional<ChaosPolicy> chaos_;
  arch::CpuidMask cpuid_mask_ = arch::CpuidMask::kNative;
  // Length of the current thread's time slice.
  std::chrono::steady_clock::duration slice_;
  FatalSignalHook on_fatal_signal_;
  bool syscallbuf_ = false;
  std::function<void(const std::string&)> on_verbose_;
  std::unique_ptr<SnapshotTaker> snapshots_;
};

}  // namespace rwd::recorder
