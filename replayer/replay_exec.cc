// ProcessLifecycle: execve. The kernel runs the trace's copies of the program,
// its ld.so and its #! interpreter, staged by ExecStaging, never the files
// at the recorded paths.
#include <fcntl.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "core/proc_maps.h"
#include "core/remote_syscall.h"
#include "replayer/replay_session.h"

namespace rwd::replayer {

Expected<ProcessLifecycle::StagedExec> ProcessLifecycle::StageExec(const trace::ExecEvent& ev) {
  const arch::Arch& a = arch();
  ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
  std::array<uint64_t, 6> args;
  for (int i = 0; i < 6; ++i) args[i] = a.SyscallArg(regs, i);
  const arch::SyscallInfo* row = a.syscalls().Find(a.SyscallNumber(regs));
  bool at = row && row->at_dirfd;
  // The filename the kernel saw, which it copies onto the new stack.
  ASSIGN_OR_RETURN(std::string path, tracee().ReadCString(args[at ? 1 : 0]));
  std::string filename = path;
  int dirfd = static_cast<int>(args[0]);
  if (at && path.empty() && (args[4] & AT_EMPTY_PATH)) {
    filename = "/dev/fd/" + std::to_string(dirfd);
  } else if (at && !path.starts_with("/") && dirfd != AT_FDCWD) {
    filename = "/dev/fd/" + std::to_string(dirfd) + "/" + path;
  }

  ASSIGN_OR_RETURN(StagedExec staged, StageFiles(ev, filename));
  // Relative to the staging directory, every replayed process's cwd.
  ASSIGN_OR_RETURN(uint64_t name, PushScratchString(tracee(), staged.plan.filename));
  staged.args = args;
  if (at) {
    (*staged.args)[0] = static_cast<uint64_t>(AT_FDCWD);
    (*staged.args)[1] = name;
    (*staged.args)[4] &= ~static_cast<uint64_t>(AT_EMPTY_PATH);
  } else {
    (*staged.args)[0] = name;
  }
  return staged;
}

Expected<ProcessLifecycle::StagedExec> ProcessLifecycle::StageFiles(
    const trace::ExecEvent& ev, const std::string& recorded_filename) {
  ExecStaging::Inputs in;
  in.recorded_filename = recorded_filename;
  if (ev.exe_file_id.empty()) {
    return Status(ErrorCode::kNotFound, "the trace has no copy of " + ev.path);
  }
  ASSIGN_OR_RETURN(in.elf, s_.reader_->LocalFileCopy(ev.exe_file_id));
  StagedExec staged;
  staged.elf_path = ev.path;
  for (const trace::FileMapping& m : ev.mappings) {
    if (m.file_id == ev.exe_file_id) {
      staged.elf_path = m.path;
    } else if (!m.file_id.empty() && in.interp.empty()) {
      // Right after an exec only the ELF and its interpreter are mapped.
      ASSIGN_OR_RETURN(in.interp, s_.reader_->LocalFileCopy(m.file_id));
    }
  }
  if (!ev.script_file_id.empty()) {
    ASSIGN_OR_RETURN(in.script, s_.reader_->LocalFileCopy(ev.script_file_id));
  }
  ASSIGN_OR_RETURN(staged.plan, s_.staging_->Prepare(in));
  return staged;
}

Status ProcessLifecycle::ReplayExec(const trace::ExecEvent& ev) {
  ASSIGN_OR_RETURN(StagedExec staged, StageExec(ev));
  std::optional<WaitStatus> exited;
  ASSIGN_OR_RETURN(int64_t result, s_.syscalls_.ExecuteInPlace(staged.args, &exited));
  if (exited) return Diverged("the process ended during execve of " + ev.path);
  if (result != 0) {
    return Status(ErrorCode::kDivergence, "execve of " + ev.path + " failed in replay (" +
                                              strerror(static_cast<int>(-result)) +
                                              ") but succeeded when recorded");
  }
  // A new address space, even for a vfork child that shared its parent's.
  // Other threads of the process ended with the exec.
  ReapThreadsOf(cur().tgid, s_.cur_);
  for (const auto& t : s_.threads_) {
    if (t.get() != s_.cur_ && t->tgid == cur().tgid) ReapThread(*t);
  }
  s_.threads_.RemoveIf([&](const ReplayTask& t) { return &t != s_.cur_ && t.tgid == cur().tgid; });
  return SetUpNewImage(cur(), ev, staged);
}

Status ProcessLifecycle::SetUpNewImage(ReplayTask& task, const trace::ExecEvent& ev,
                                       const StagedExec& staged) {
  Tracee& tracee = task.tracee;
  task.mm = std::make_shared<AddressSpace>();
  task.syscallbuf = 0;
  if (task.tgid == s_.focus_pid_) s_.focus_mm_ = task.mm;
  // gdb asks for the executable by this name and gets the trace's copy.
  task.mm->exec_path = staged.elf_path;
  for (const trace::FileMapping& m : ev.mappings) {
    if (m.file_id.empty()) continue;
    ASSIGN_OR_RETURN(task.mm->mapped_files[m.path], s_.reader_->LocalFileCopy(m.file_id));
  }
  RETURN_IF_ERROR(tracee.ReopenMemory());
  RETURN_IF_ERROR(ExecStaging::Fixup(tracee, staged.plan));
  const arch::CpuidMask mask =
      arch::ParseCpuidMask(s_.reader_->header().cpuid_mask).value_or(arch::CpuidMask::kNative);
  CodePatcher& patcher = task.mm->patcher;
  patcher.Reset(
      {.tsc_reads = ev.tsc_reads_patched, .cpuid = PatchesCpuid(mask, ev.cpuid_faulting)});
  ASSIGN_OR_RETURN(uint64_t syscall_insn, patcher.PatchVdso(tracee));
  if (ev.cpuid_faulting) {
    auto call = arch().CpuidFaultingSyscall();
    int64_t r = -1;
    if (call) {
      SyscallArgs args;
      std::copy(call->begin() + 1, call->end(), args.v.begin());
      ASSIGN_OR_RETURN(r, InjectSyscall(tracee, syscall_insn, (*call)[0], args));
    }
    if (r != 0) {
      return Status(ErrorCode::kUnsupported,
                    "the trace was recorded with cpuid faulting, which this machine lacks");
    }
  }
  if (!ev.at_random.empty()) {
    RETURN_IF_ERROR(tracee.WriteMemory(ev.at_random_addr, ev.at_random));
  }
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(tracee.tid()));
  std::vector<uint64_t> sites;
  for (const MemoryMapping& m : maps) {
    if (!m.is_file() || !(m.prot & PROT_EXEC)) continue;
    ASSIGN_OR_RETURN(std::vector<uint64_t> s, patcher.PatchTrapSites(tracee, m.start, m.end));
    sites.insert(sites.end(), s.begin(), s.end());
  }
  if (sites != ev.trap_sites) {
    return Diverged("the executable's code differs from the recording (" +
                    std::to_string(sites.size()) + " trap sites, recorded " +
                    std::to_string(ev.trap_sites.size()) + ")");
  }
  if (InFocus(task)) {
    RETURN_IF_ERROR(s_.breakpoints_.MoveToNewImage());
  }
  return Status::Ok();
}

}  // namespace rwd::replayer
