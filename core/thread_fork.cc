#include "core/thread_fork.h"

#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include <string>
#include <string_view>

#include "core/process.h"
#include "core/remote_syscall.h"

namespace rwd {

namespace {

// Distance between the copy leader's stack pointer and the stack a new
// thread is given. The new thread executes no instruction before its
// registers are replaced, so nothing is written there; the gap only keeps the
// value clear of the red zone and of data the leader keeps below its sp.
constexpr uint64_t kScratchBelowSp = 4096;

std::string Tid(pid_t tid) { return "thread " + std::to_string(tid); }

// --- thin wrappers: errno is translated here --------------------------------

Expected<std::vector<uint8_t>> GetRegset(pid_t tid, const arch::Regset& set) {
  std::vector<uint8_t> bytes(set.max_bytes);
  iovec iov{bytes.data(), bytes.size()};
  if (ptrace(PTRACE_GETREGSET, tid, set.note_type, &iov) != 0) {
    return ErrnoError("reading register set " + std::to_string(set.note_type) + " of " + Tid(tid));
  }
  bytes.resize(iov.iov_len);
  return bytes;
}

Status SetRegset(pid_t tid, int note_type, std::span<const uint8_t> bytes) {
  iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
  if (ptrace(PTRACE_SETREGSET, tid, note_type, &iov) != 0) {
    return ErrnoError("writing register set " + std::to_string(note_type) + " of " + Tid(tid));
  }
  return Status::Ok();
}

// ----------------------------------------------------------------------------

// What a recreated thread is given, read from its original before the fork
// so that a thread we cannot read costs no copy.
struct ThreadSnapshot {
  arch::Registers regs;
  std::vector<uint8_t> fp;
  std::vector<std::vector<uint8_t>> regsets;  // parallel to Arch::ThreadRegsets()
  uint64_t sigmask = 0;
  uint64_t clear_child_tid = 0;
};

Expected<ThreadSnapshot> Snapshot(const ThreadState& t) {
  if (t.tracee == nullptr) return Error("ForkProcessWithThreads: a ThreadState without tracee");
  const Tracee& tracee = *t.tracee;
  ThreadSnapshot snap;
  ASSIGN_OR_RETURN(snap.regs, tracee.GetRegisters());
  ASSIGN_OR_RETURN(snap.fp, tracee.GetFpRegisters());
  for (const arch::Regset& set : tracee.arch().ThreadRegsets()) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, GetRegset(tracee.tid(), set));
    snap.regsets.push_back(std::move(bytes));
  }
  ASSIGN_OR_RETURN(snap.sigmask, tracee.GetSignalMask());
  snap.clear_child_tid = t.clear_child_tid;
  return snap;
}

Status Restore(const Tracee& thread, const ThreadSnapshot& snap) {
  RETURN_IF_ERROR(thread.SetRegisters(snap.regs));
  RETURN_IF_ERROR(thread.SetFpRegisters(snap.fp));
  std::span<const arch::Regset> sets = thread.arch().ThreadRegsets();
  for (size_t i = 0; i < sets.size(); ++i) {
    RETURN_IF_ERROR(SetRegset(thread.tid(), sets[i].note_type, snap.regsets[i]));
  }
  return thread.SetSignalMask(snap.sigmask);
}

Expected<int64_t> SyscallNr(const arch::Arch& arch, std::string_view name) {
  const arch::SyscallInfo* info = arch.syscalls().FindByName(name);
  if (!info) return Error("this architecture's syscall table has no " + std::string(name));
  return info->nr;
}

// A fresh thread's first stop: the SIGSTOP of the automatic attach, or
// PTRACE_EVENT_STOP when the tracees were seized rather than attached.
bool IsAttachStop(const WaitStatus& ws) {
  return (ws.kind == WaitStatus::Kind::kSignalStop || ws.kind == WaitStatus::Kind::kGroupStop) &&
         ws.signo == SIGSTOP;
}

// Makes the copy's leader clone a thread and gives it the state of its
// original.
Expected<pid_t> CloneThread(Tracee& copy, const ThreadSnapshot& snap, uint64_t insn_addr) {
  ASSIGN_OR_RETURN(pid_t tid, CloneBareThread(copy, snap.clear_child_tid, insn_addr));
  RETURN_IF_ERROR(Restore(Tracee(tid, copy.arch()), snap));
  return tid;
}

// Moves the copy's leader from the syscall-exit stop the injections left it
// in to a SIGSTOP signal-delivery-stop with unchanged registers. At syscall
// stops AArch64 misreports x7 and drops writes to it, and the stop would
// describe our syscall rather than the program; a signal sent to the thread
// itself is taken on the way back to user mode, before any instruction of
// the program runs.
Status SettleInSignalStop(Tracee& copy, uint64_t insn_addr) {
  const arch::Arch& arch = copy.arch();
  ASSIGN_OR_RETURN(int64_t tgkill_nr, SyscallNr(arch, "tgkill"));
  SyscallArgs args;
  args.v[0] = static_cast<uint64_t>(copy.tid());
  args.v[1] = static_cast<uint64_t>(copy.tid());
  args.v[2] = SIGSTOP;
  ASSIGN_OR_RETURN(int64_t result, InjectSyscall(copy, insn_addr, tgkill_nr, args));
  if (result != 0) {
    return SystemError("injecting tgkill into a checkpoint", static_cast<int>(-result));
  }
  RETURN_IF_ERROR(copy.Resume(ResumeMode::kCont));
  ASSIGN_OR_RETURN(WaitStatus ws, copy.Wait());
  if (ws.kind != WaitStatus::Kind::kSignalStop || ws.signo != SIGSTOP) {
    return Error("the leader of a checkpoint stopped with " + ws.ToString() +
                 " instead of the SIGSTOP sent to it");
  }
  return Status::Ok();
}

// Kills a half-built copy and reaps every thread of it, including any new
// thread whose tid a failure kept from us.
void DiscardCopy(pid_t pid) {
  kill(pid, SIGKILL);
  ReapEndingProcess(pid);
}

Expected<std::vector<pid_t>> BuildThreads(Tracee& copy, uint64_t clear_child_tid_of_leader,
                                          std::span<const ThreadSnapshot> snaps,
                                          uint64_t insn_addr) {
  std::vector<pid_t> tids = {copy.tid()};
  for (const ThreadSnapshot& snap : snaps) {
    ASSIGN_OR_RETURN(pid_t tid, CloneThread(copy, snap, insn_addr));
    tids.push_back(tid);
  }
  // Fork copies neither CLONE_CHILD_CLEARTID nor set_tid_address; the
  // leader's signal mask and FP state it does copy, from the moment of the
  // injected clone, when they were the original's.
  if (clear_child_tid_of_leader != 0) {
    ASSIGN_OR_RETURN(int64_t nr, SyscallNr(copy.arch(), "set_tid_address"));
    SyscallArgs args;
    args.v[0] = clear_child_tid_of_leader;
    ASSIGN_OR_RETURN(int64_t result, InjectSyscall(copy, insn_addr, nr, args));
    if (result < 0) {
      return SystemError("injecting set_tid_address into a checkpoint", static_cast<int>(-result));
    }
  }
  if (!snaps.empty() || clear_child_tid_of_leader != 0) {
    RETURN_IF_ERROR(SettleInSignalStop(copy, insn_addr));
  }
  return tids;
}

}  // namespace

Expected<pid_t> CloneBareThread(Tracee& in, uint64_t clear_child_tid, uint64_t insn_addr) {
  const arch::Arch& arch = in.arch();
  ASSIGN_OR_RETURN(int64_t clone_nr, SyscallNr(arch, "clone"));
  ASSIGN_OR_RETURN(arch::Registers regs, in.GetRegisters());
  // No CLONE_SETTLS: the thread pointer comes with the registers (x86-64
  // fs_base) or with ThreadRegsets() (AArch64). No CLONE_PARENT_SETTID: the
  // program's memory already holds what its own clone wrote there.
  uint64_t flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
  if (clear_child_tid != 0) flags |= CLONE_CHILD_CLEARTID;
  arch::CloneArgPositions pos = arch.CloneArgs();
  SyscallArgs args;
  args.v[pos.flags] = flags;
  args.v[pos.stack] = (arch.Sp(regs) - kScratchBelowSp) & ~uint64_t{15};
  args.v[pos.child_tid] = clear_child_tid;
  ASSIGN_OR_RETURN(int64_t result, InjectSyscall(in, insn_addr, clone_nr, args));
  if (result <= 0) {
    return SystemError("injecting clone to recreate a thread", static_cast<int>(-result));
  }
  Tracee thread(static_cast<pid_t>(result), arch);
  ASSIGN_OR_RETURN(WaitStatus ws, thread.Wait());
  if (!IsAttachStop(ws)) {
    return Error("the new " + Tid(thread.tid()) + " first reported " + ws.ToString() +
                 ", not its attach stop (SIGSTOP)");
  }
  return thread.tid();
}

Expected<std::vector<pid_t>> ForkProcessWithThreads(Tracee& leader,
                                                    uint64_t clear_child_tid_of_leader,
                                                    std::span<const ThreadState> others,
                                                    uint64_t insn_addr) {
  std::vector<ThreadSnapshot> snaps;
  snaps.reserve(others.size());
  for (const ThreadState& t : others) {
    ASSIGN_OR_RETURN(ThreadSnapshot snap, Snapshot(t));
    snaps.push_back(std::move(snap));
  }
  ASSIGN_OR_RETURN(pid_t pid, ForkTracee(leader, insn_addr));
  Tracee copy(pid, leader.arch());
  Expected<std::vector<pid_t>> tids =
      BuildThreads(copy, clear_child_tid_of_leader, snaps, insn_addr);
  if (!tids.ok()) {
    DiscardCopy(pid);
    return tids.status().Wrap("recreating the threads of a checkpoint");
  }
  return tids;
}

}  // namespace rwd
