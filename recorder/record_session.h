// RecordSession: runs a program under ptrace and writes its trace.
//
// One session records one process (single-threaded for now: clone, fork and
// vfork are refused with a clear message). Every syscall stops twice
// (PTRACE_SYSCALL); its result and the memory the kernel wrote go into a
// SyscallEvent. rdtsc/rdtscp fault (PR_TSC_SIGSEGV), cpuid faults where the
// CPU supports it, rdrand/rdseed are patched to trap; their values become
// InsnTrapEvents. Signals become SignalEvents. The session owns the tracee
// and the TraceWriter; on any error the trace so far is flushed and kept.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/code_patcher.h"
#include "core/process.h"
#include "core/status.h"
#include "core/tracee.h"
#include "recorder/syscall_outputs.h"
#include "trace/trace_writer.h"

namespace rwd::recorder {

struct RecordOptions {
  std::string trace_dir;
  std::vector<std::string> argv;  // argv[0] names the program (PATH lookup)
  std::vector<std::string> envp;
};

class RecordSession {
 public:
  static Expected<std::unique_ptr<RecordSession>> Start(const RecordOptions& options);

  // Runs the program to its end. Returns its shell-style exit status
  // (128+N when killed by signal N).
  Expected<int> Run();
  uint64_t events_recorded() const { return writer_->events_written(); }

 private:
  struct PendingSyscall {
    const arch::SyscallInfo* info = nullptr;
    int64_t nr = 0;
    std::array<uint64_t, 6> args{};
    EntrySnapshot snapshot;
    std::vector<std::string> exec_argv;
    std::string exec_path;
  };

  RecordSession(Process process, Tracee tracee, std::unique_ptr<trace::TraceWriter> writer);
  Status Append(trace::EventBody body);
  Status OnSyscallEntry(const SyscallStopInfo& info);
  Status OnSyscallExit(const SyscallStopInfo& info);
  Status RecordExec();
  Status RecordMmap(trace::SyscallEvent& event);
  // Returns the signal to deliver when resuming (0 for none).
  Expected<int> OnSignal(int signo);
  Expected<bool> EmulateTrapInsn(int signo, arch::Registers& regs);
  Status RecordSignal(int signo, const std::vector<uint8_t>& siginfo, const arch::Registers& regs,
                      bool with_fingerprint);
  // At a syscall-entry stop: the deferred signal to deliver now, or 0.
  int TakeDeferredSignal();
  Expected<WaitStatus> WaitForTracee();
  Status Fail(Status status);

  Process process_;
  Tracee tracee_;
  std::unique_ptr<trace::TraceWriter> writer_;
  CodePatcher patcher_;
  std::optional<PendingSyscall> pending_;
  std::string pending_exec_path_;
  std::vector<std::string> pending_exec_argv_;
  std::map<std::string, std::string> file_ids_;  // path -> content id, per exec
  // Asynchronous signals held back until the thread's next syscall, where
  // replay can deliver them at the same point (DESIGN: "moved to the next
  // event boundary"). See OnSignal.
  struct DeferredSignal {
    int signo = 0;
    std::vector<uint8_t> siginfo;
  };
  std::vector<DeferredSignal> deferred_;
  std::chrono::steady_clock::time_point defer_deadline_;
  std::optional<DeferredSignal> reinjected_;  // delivered at this syscall
  bool stop_sent_ = false;  // we sent SIGSTOP to place a deferred signal
  // Registers right after the last event; a signal arriving while they are
  // unchanged arrived at that event boundary (e.g. raise()).
  std::optional<arch::Registers> boundary_regs_;
  std::chrono::steady_clock::time_point last_flush_;
};

}  // namespace rwd::recorder
