// PassCounter: a thread's arrivals at a loop site since its last event.
#include "recorder/pass_counter.h"

#include <sys/mman.h>

#include <algorithm>
#include <vector>

#include "core/proc_maps.h"
#include "recorder/record_session.h"

namespace rwd::recorder {

namespace {

// The countdown a counting probe starts from: never reached, so it traps
// only when armed to (StopAtNextArrival).
constexpr uint64_t kCountFrom = uint64_t{1} << 62;

}  // namespace

Status PassCounter::Start(RecordTask& task, uint64_t pc) {
  if (task.pass_probe) return Status::Ok();
  const bool alone = std::count_if(s_.tasks_.begin(), s_.tasks_.end(), [&](const auto& t) {
                       return t->tgid == task.tgid;
                     }) == 1;
  task.pass_site = 0;
  if (!alone) return Status::Ok();
  // Not in code the program may rewrite (a JIT's, or a shared mapping
  // another view writes): the patch would be overwritten or seen.
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(task.tid()));
  auto in = std::find_if(maps.begin(), maps.end(),
                         [&](const MemoryMapping& m) { return pc >= m.start && pc < m.end; });
  if (in == maps.end() || (in->prot & PROT_WRITE) || in->shared) return Status::Ok();
  // Installed at the handler's rt_sigreturn: a probe's pages are mapped by
  // an injected syscall, which a signal-delivery stop does not allow.
  task.pass_site = pc;
  return Status::Ok();
}

Status PassCounter::OnAppend(pid_t tid) {
  last_event_tid_ = tid;
  RecordTask* task = Find(tid);
  return task ? Restart(*task) : Status::Ok();
}

Status PassCounter::Restart(RecordTask& task) {
  if (!task.pass_probe) return Status::Ok();
  task.pass_probe_stop.reset();
  task.pass_probe_base = kCountFrom;
  return task.pass_probe->SetPasses(task.tracee, kCountFrom);
}

Expected<bool> PassCounter::StopAtNextArrival(RecordTask& task, const arch::Registers& regs) {
  if (!task.pass_probe || !task.pass_probe->installed() || task.pass_probe_stop) return false;
  const uint64_t pc = task.tracee.arch().Pc(regs);
  // Inside the trampoline, the counter may be half updated; calls the
  // syscall buffer made are events before the signal, not counted from.
  // Replay counts from the event before the signal: it must be the thread's.
  if (ProcessOf(task).probe_pages.InCode(pc) || task.pass_probe->Covers(pc) ||
      s_.buffer_.BufferedSinceLastEvent(task) || last_event_tid_ != task.event_tid()) {
    RETURN_IF_ERROR(Stop(task));
    return false;
  }
  ASSIGN_OR_RETURN(uint64_t left, task.pass_probe->Passes(task.tracee));
  task.pass_probe_stop = task.pass_probe_base - left;
  RETURN_IF_ERROR(task.pass_probe->SetPasses(task.tracee, 1));
  return true;
}

Expected<std::optional<uint64_t>> PassCounter::TakeArrival(RecordTask& task,
                                                          arch::Registers& regs) {
  if (!task.pass_probe || !task.pass_probe_stop) return std::optional<uint64_t>();
  ASSIGN_OR_RETURN(bool hit, task.pass_probe->TakeHit(task.tracee, regs));
  if (!hit) return std::optional<uint64_t>();
  uint64_t arrival = *task.pass_probe_stop + 1;
  task.pass_probe_stop.reset();
  return std::optional<uint64_t>(arrival);
}

bool PassCounter::MovedSinceEvent(const RecordTask& task) const {
  if (!task.pass_probe) return false;
  Expected<uint64_t> left = task.pass_probe->Passes(task.tracee);
  return !left.ok() || *left != task.pass_probe_base || task.pass_probe_stop.has_value();
}

Status PassCounter::BeforeSyscall(RecordTask& task) {
  if (!task.pass_probe) return Status::Ok();
  // Armed for a signal that the syscall now takes (TakeDeferredSignal).
  task.pass_probe_stop.reset();
  return task.pass_probe->Remove(task.tracee);
}

Status PassCounter::EndAtSyscallExit(RecordTask& task, bool sigreturn) {
  if (!sigreturn) {
    task.pass_probe.reset();
    task.pass_site = 0;
  }
  if (task.pass_probe || task.pass_site != 0) return Status::Ok();
  // No count goes on in this process (a probe counts only in a thread
  // alone in its process): its pages go, before a snapshot copies them or
  // the program's next syscall sees them.
  ProcessState& process = ProcessOf(task);
  if (process.probe_pages.areas().empty()) return Status::Ok();
  return process.probe_pages.Release(task.tracee, process.patcher.syscall_insn());
}

Status PassCounter::AfterSyscall(RecordTask& task, bool sigreturn) {
  if (!sigreturn) return Status::Ok();
  if (task.pass_probe && !task.pass_probe->Reinstall(task.tracee).ok()) task.pass_probe.reset();
  if (!task.pass_probe && task.pass_site != 0) {
    ProcessState& process = ProcessOf(task);
    Expected<ProbeStub> probe =
        ProbeStub::InstallCountdown(task.tracee, process.probe_pages,
                                    process.patcher.syscall_insn(), task.pass_site, kCountFrom);
    // No probe fits: signals there are placed by fingerprint as before.
    if (probe.ok()) task.pass_probe = std::move(*probe);
    task.pass_site = 0;
  }
  return Restart(task);
}

Status PassCounter::Stop(RecordTask& task) {
  if (!task.pass_probe) {
    task.pass_site = 0;
    return Status::Ok();
  }
  task.pass_site = 0;
  RETURN_IF_ERROR(task.pass_probe->Remove(task.tracee));
  task.pass_probe.reset();
  task.pass_probe_stop.reset();
  // The displaced instructions' copies end with a jump back: a few steps.
  const ProbePages& pages = ProcessOf(task).probe_pages;
  for (int steps = 0; steps < 64; ++steps) {
    ASSIGN_OR_RETURN(arch::Registers regs, task.tracee.GetRegisters());
    if (!pages.InCode(task.tracee.arch().Pc(regs))) return Status::Ok();
    RETURN_IF_ERROR(s_.signals_.StepOnce(task));
  }
  return Status(ErrorCode::kUnsupported, "thread " + std::to_string(task.tid()) +
                                             " did not leave a pass-counting probe's trampoline");
}

}  // namespace rwd::recorder
