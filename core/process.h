// Process: owns a traced process tree's lifetime. Spawn() forks a child that
// stops itself before exec so the tracer can set options and see the exec;
// the destructor kills (SIGKILL) and reaps it unless it already ended.
// PTRACE_O_EXITKILL is the backstop if the tracer itself dies.
#pragma once

#include <linux/filter.h>
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace rwd {

struct SpawnOptions {
  std::string exe;  // absolute path given to execve
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::string cwd;           // empty: inherit
  int cpu = -1;              // pin to this CPU (>= 0)
  bool disable_aslr = true;  // identical layouts in record and replay
  bool trap_tsc = true;      // rdtsc/rdtscp fault (PR_TSC_SIGSEGV)
  // Replay: the child's stdin is /dev/null and its output goes nowhere;
  // the replayer reproduces output from the trace.
  bool detach_stdio = false;
  // Replay: a process group of its own, so the terminal's Ctrl-C (meant for
  // gdb) never reaches the replayed program as an unrecorded signal.
  bool new_process_group = false;
  // Installed right before execve (core/seccomp_filter.h); empty for none.
  // The tracer must resume the stopped child with PTRACE_CONT and have set
  // PTRACE_O_TRACESECCOMP: the execve is then the first stop.
  std::vector<sock_filter> seccomp_filter;
};

// Exit status of a spawned child that could not install its seccomp filter.
inline constexpr int kSeccompFailedStatus = 125;

class Process {
 public:
  // Forks and returns with the child stopped (SIGSTOP) just before execve,
  // already traced with `ptrace_options` set.
  static Expected<Process> Spawn(const SpawnOptions& options, unsigned long ptrace_options);
  explicit Process(pid_t pid) : pid_(pid) {}
  ~Process();
  Process(Process&& o) noexcept;
  Process& operator=(Process&& o) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Call once the process has been reaped, so the destructor leaves it alone.
  void MarkReaped() { pid_ = -1; }
  // SIGKILL, then reaps every thread of the process (not its children).
  void Kill();

 private:
  pid_t pid_ = -1;
};

// Thread ids of process `pid`, from /proc/<pid>/task (empty once it is gone).
std::vector<pid_t> ThreadIdsOf(pid_t pid);

// Whether thread `tid` has ended (a zombie, or gone), reaped or not.
bool ThreadEnded(pid_t tid);

// Waits for traced thread `tid`, which must be ending, to die and reaps it,
// passing over stops it reports first. nullopt when it is not ours to reap
// (or was reaped already); else its wait status.
std::optional<int> ReapEndingThread(pid_t tid);

// Reaps every thread of traced process `pid`, which must be ending (killed,
// or in exit_group), its leader last: the kernel reports a leader's death
// only once the other threads are reaped, so waiting for the leader alone
// would wait forever. Threads that are not ours to reap are passed over.
// Returns the leader's wait status; nullopt when it was not ours to reap.
std::optional<int> ReapEndingProcess(pid_t pid);

// Resolves PROG like execvp does; error names PROG when not found.
Expected<std::string> ResolveExecutable(const std::string& prog);

// Pins the calling thread to `cpu`; returns the CPU used (the current one
// when cpu < 0).
Expected<int> PinToCpu(int cpu);

}  // namespace rwd
