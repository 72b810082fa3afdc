// ProcessLifecycle: a ReplaySession's part that replays how threads and
// processes begin and end. Clone runs for real and the new thread joins the
// thread table under its recorded tid (replay_tree.cc); exec runs the
// recorded ELF staged where the replay can reach it (replay_exec.cc); an
// ended thread is reaped and its exit matched against the recorded
// ExitEvent, and threads killed from outside when recording are ended the
// same way here.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "arch/syscall_table.h"
#include "core/wait_status.h"
#include "replayer/exec_staging.h"
#include "replayer/replay_part.h"

namespace rwd::replayer {

class ProcessLifecycle : public ReplayPart {
 public:
  explicit ProcessLifecycle(ReplaySession& session) : ReplayPart(session) {}

  Status ExecuteClone(const arch::SyscallInfo& row, const trace::SyscallEvent& ev);
  struct StagedExec {
    std::optional<std::array<uint64_t, 6>> args;  // execve's, naming the staged file
    ExecStaging::Plan plan;
    std::string elf_path;  // recorded path of the ELF that runs
  };
  // The current thread is at the entry of execve `ev`: the files it runs,
  // staged, and the arguments that name them.
  Expected<StagedExec> StageExec(const trace::ExecEvent& ev);
  // The files exec `ev` runs, staged as if execve was given
  // `recorded_filename`; no arguments.
  Expected<StagedExec> StageFiles(const trace::ExecEvent& ev, const std::string& recorded_filename);
  Status ReplayExec(const trace::ExecEvent& ev);
  // `task` has just run the execve of `staged` (exec `ev`): its new address
  // space is made the recorded one's (the vDSO and trap sites patched, the
  // recorded AT_RANDOM bytes).
  Status SetUpNewImage(ReplayTask& task, const trace::ExecEvent& ev, const StagedExec& staged);
  // The current thread ended (`ws`): reaps what ended with it and matches
  // the recorded ExitEvent.
  Expected<std::optional<ReplayStop>> OnExit(const WaitStatus& ws);
  // The recorded ExitEvent of a thread the replay must end itself (killed
  // from outside when recorded).
  Expected<std::optional<ReplayStop>> EndThreadAsRecorded(const trace::ExitEvent& exit);
  void ReapThread(ReplayTask& t);
  // Reaps the threads of recorded process `tgid` other than its leader and
  // `except`: the process is ending, and its leader (or `except`) is reported
  // only after them.
  void ReapThreadsOf(pid_t tgid, const ReplayTask* except);
  // Waits for `t`, inside an execve, to stop; meanwhile collects the other
  // threads of its process as the exec ends them: the kernel finishes the
  // exec only once its tracer has collected them.
  Expected<WaitStatus> WaitThroughExec(ReplayTask& t);
  void RemoveTask(ReplayTask* task);
};

}  // namespace rwd::replayer
