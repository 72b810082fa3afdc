// ProcessState: the recorder's view of one process (address space) of the
// recorded tree, shared by its threads (RecordTask::tgid).
#pragma once

#include <sys/prctl.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/code_patcher.h"
#include "core/fork_advice.h"
#include "core/probe_stub.h"
#include "recorder/file_id.h"

namespace rwd::recorder {

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
  // The pages of the probes that count a thread's passes through a loop
  // (recorder/pass_counter.h); dropped at exec.
  ProbePages probe_pages;
  // The program installed a seccomp filter of its own, which may answer a
  // syscall before ours traces it: its threads stop at every syscall
  // (PTRACE_SYSCALL) even with the syscall buffer.
  bool ptrace_syscalls = false;
  // A thread registered a syscall buffer since the last exec.
  bool buffered = false;
  // The library is patching libc (from its RWD_SB_REGISTER_PATCHING to its
  // RWD_SB_READY): replay keeps the debugger's breakpoints out of libc
  // meanwhile, which a snapshot taken then would not restore.
  bool syscallbuf_patching = false;
  // Memory the program asked the kernel to keep from its forks, or to wipe
  // in them (MADV_DONTFORK, MADV_WIPEONFORK; V8 does for its code): a
  // snapshot, a fork, lends it to its copy (ForkAdvice::Lend) and keeps
  // the ranges for replay.
  ForkAdvice fork_advice;
  // Files it maps MAP_SHARED having opened them for writing, with the path
  // their mmap event named: where its writes to them land is recorded
  // (recorder/mapped_file_writes.h). Since its last exec; kept after munmap.
  std::map<FileId, std::string> writable_shared_files;
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
  // The rdtsc mode the program last set (PR_SET_TSC), which PR_GET_TSC
  // reports; the recorder's own faulting stays on regardless.
  int program_tsc_mode = PR_TSC_ENABLE;
  pid_t parent = 0;  // the process that forked it; 0 for the root
  // The thread inside execve, if any. The others are not scheduled
  // meanwhile: the exec ends them (a thread resumed then would vanish under
  // the recorder's hands), or, if it fails, they go on after it.
  const struct RecordTask* exec_caller = nullptr;
};

}  // namespace rwd::recorder
