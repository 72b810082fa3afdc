// ProcessLifecycle: the process tree (clone, fork, vfork), thread and process
// exits.
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <thread>

#include "base/hex.h"
#include "replayer/replay_session.h"
#include "trace/event_format.h"

namespace rwd::replayer {

namespace {

using Stop = std::optional<ReplayStop>;

bool SameExit(int recorded, int seen) {
  // Whether a core file was written depends on the machine, not the program.
  return (recorded & ~0x80) == (seen & ~0x80);
}

}  // namespace

Status ProcessLifecycle::ExecuteClone(const arch::SyscallInfo& row, const trace::SyscallEvent& ev) {
  const arch::Arch& a = arch();
  arch::CloneArgPositions pos = a.CloneArgs();
  uint64_t flags = arch::CloneFlags(row, ev.args, pos.flags);
  // Always the clone syscall, so that vfork and fork can be reshaped: no
  // exit signal (the recorded SIGCHLD is replayed as an event), and no
  // vfork wait (the parent is not run until its next event anyway; a vfork
  // child keeps sharing its parent's memory, as recorded).
  // Nor new namespaces: what they change the trace holds (pids, ids,
  // files), and a new user namespace would deny the child the trace's
  // private copies.
  constexpr uint64_t kNewNamespaces = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                      CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;
  std::array<uint64_t, 6> args{};
  if (row.implied_clone_flags == 0) args = ev.args;  // clone itself
  args[pos.flags] = flags & ~uint64_t{CLONE_VFORK | 0xff | kNewNamespaces};
  std::optional<WaitStatus> exited;
  pid_t child_live = 0;
  ASSIGN_OR_RETURN(int64_t result,
                   s_.syscalls_.ExecuteInPlace(args, &exited, a.syscalls().FindByName("clone")->nr,
                                               &child_live));
  if (exited) return Diverged(std::string(row.name) + " ended the thread");
  if (result <= 0 || child_live <= 0) {
    return Diverged(std::string(row.name) + " failed in replay (" + Hex(result) +
                    ") but created thread " + std::to_string(ev.result) + " when recorded");
  }
  // The new thread's first stop: the SIGSTOP of an attached child, which is
  // never delivered.
  Tracee child(child_live, a);
  ASSIGN_OR_RETURN(WaitStatus first, child.Wait());
  if (first.is_exit())
    return Diverged("the new thread " + std::to_string(ev.result) + " died at once");

  {
    // The child inherited the reshaped arguments; give it the program's, and
    // its own return value 0 (AArch64 returns in the first argument's register).
    ASSIGN_OR_RETURN(arch::Registers child_regs, child.GetRegisters());
    for (int i = 0; i < 6; ++i) a.SetSyscallArg(child_regs, i, ev.args[i]);
    a.SetSyscallResult(child_regs, 0);
    RETURN_IF_ERROR(child.SetRegisters(child_regs));
  }
  pid_t recorded_child = static_cast<pid_t>(ev.result);
  bool thread = flags & CLONE_THREAD;
  std::shared_ptr<AddressSpace> mm = cur().mm;
  if (!(flags & CLONE_VM)) {
    mm = std::make_shared<AddressSpace>();
    mm->patcher = cur().mm->patcher;
    mm->exec_path = cur().mm->exec_path;
    mm->mapped_files = cur().mm->mapped_files;
    mm->library_code = cur().mm->library_code;
    mm->fork_advice = cur().mm->fork_advice.InChild();
    RETURN_IF_ERROR(cur().mm->fork_advice.ApplyToChild(child, mm->patcher.syscall_insn()));
    RETURN_IF_ERROR(s_.breakpoints_.RemoveBreakpointsFrom(*cur().mm, child));
    RETURN_IF_ERROR(s_.breakpoints_.RemoveProbesFrom(*cur().mm, child));
    RETURN_IF_ERROR(s_.code_guard_.ReleaseIn(*cur().mm, child));
  }
  // The program must see the recorded tids wherever the kernel wrote live ones.
  uint32_t tid32 = static_cast<uint32_t>(recorded_child);
  std::span<const uint8_t> tid_bytes(reinterpret_cast<const uint8_t*>(&tid32), sizeof(tid32));
  if (flags & CLONE_PARENT_SETTID) {
    RETURN_IF_ERROR(tracee().WriteMemory(ev.args[pos.parent_tid], tid_bytes));
  }
  if (flags & CLONE_CHILD_SETTID) {
    RETURN_IF_ERROR(child.WriteMemory(ev.args[pos.child_tid], tid_bytes));
  }
  // What else the kernel wrote when recorded (CLONE_PIDFD's descriptor).
  for (const trace::MemWrite& w : ev.writes) RETURN_IF_ERROR(tracee().WriteMemory(w.addr, w.bytes));
  ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
  // The program's own argument registers (glibc's vfork keeps its return
  // address in one), which the reshaped call overwrote.
  for (int i = 0; i < 6; ++i) a.SetSyscallArg(regs, i, ev.args[i]);
  a.SetSyscallResult(regs, ev.result);
  RETURN_IF_ERROR(tracee().SetRegisters(regs));

  pid_t tgid = thread ? cur().tgid : recorded_child;
  auto task = std::make_unique<ReplayTask>(std::move(child), recorded_child, tgid, mm);
  if (flags & CLONE_CHILD_CLEARTID) {
    task->clear_child_tid = ev.args[pos.child_tid];
  } else if (!(flags & CLONE_VM)) {
    task->clear_child_tid = cur().clear_child_tid;  // a fork copies it
  }
  // A forked child has a copy of its parent's syscall buffer; a new thread
  // registers its own, and a vfork child uses its parent's (as recorded).
  if (!(flags & CLONE_VM)) task->syscallbuf = cur().syscallbuf;
  if (!thread && tgid == s_.focus_pid_) s_.focus_mm_ = mm;
  if (InFocus(*task) && s_.watch_.hardware()) {
    a.host().SetHwWatchpoints(task->tracee.tid(), s_.watch_.watches()).IgnoreError();
  }
  s_.threads_.Add(std::move(task));
  return Status::Ok();
}

void ProcessLifecycle::ReapThread(ReplayTask& t) {
  // Ended by another thread (exit_group, a fatal signal, exec): its death
  // follows promptly; collect it so it does not linger as a stop.
  if (t.reaped) return;
  for (int i = 0; i < 1000; ++i) {
    auto ws = t.tracee.Wait();
    if (!ws.ok() || ws->is_exit()) break;
    (void)t.tracee.Resume(ResumeMode::kCont);
  }
  t.reaped = true;
  if (t.tracee.tid() == s_.root_.pid()) s_.root_.MarkReaped();
}

void ProcessLifecycle::ReapThreadsOf(pid_t tgid, const ReplayTask* except) {
  for (const auto& t : s_.threads_) {
    if (t.get() != except && t->tgid == tgid && t->tid != tgid) ReapThread(*t);
  }
}

Expected<WaitStatus> ProcessLifecycle::WaitThroughExec(ReplayTask& t) {
  // Polled: a blocking wait for `t` would never return (the exec waits for
  // the others), and one for any child could take another process's stop.
  constexpr auto kPollPeriod = std::chrono::microseconds(500);
  while (true) {
    for (const auto& o : s_.threads_) {
      if (o.get() == &t || o->tgid != t.tgid || o->reaped) continue;
      int raw = 0;
      pid_t r = waitpid(o->tracee.tid(), &raw, __WALL | WNOHANG);
      if (r < 0 && errno == ECHILD) o->reaped = true;
      if (r != o->tracee.tid()) continue;
      WaitStatus ws = WaitStatus::FromRaw(r, raw);
      if (ws.is_exit()) {
        o->reaped = true;
      } else if (o->tid == o->tgid && ws.kind == WaitStatus::Kind::kPtraceEvent &&
                 ws.event == PTRACE_EVENT_EXEC) {
        // `t` is not the leader: the kernel gave it the leader's tid, live
        // and recorded alike, and the leader is gone without a death of
        // its own (as RecordSession::TakeOverLeaderAtExec saw).
        o->reaped = true;
        t.tracee = Tracee(r, t.tracee.arch());
        t.tid = o->tid;
        return ws;
      } else {
        (void)o->tracee.Resume(ResumeMode::kCont);  // its exit stop, on the way out
      }
    }
    int raw = 0;
    pid_t r = waitpid(t.tracee.tid(), &raw, __WALL | WNOHANG);
    if (r == t.tracee.tid()) return WaitStatus::FromRaw(r, raw);
    // Not the leader: its tid is gone already when the exec took the
    // leader's, whose event stop the loop above collects.
    bool took_leaders_tid = r < 0 && errno == ECHILD && t.tid != t.tgid;
    if (r < 0 && errno != EINTR && !took_leaders_tid) {
      return ErrnoError("waiting for the thread in execve");
    }
    std::this_thread::sleep_for(kPollPeriod);
  }
}

void ProcessLifecycle::RemoveTask(ReplayTask* task) {
  if (task->tracee.tid() == s_.root_.pid()) s_.root_.MarkReaped();
  if (s_.cur_ == task) s_.cur_ = nullptr;
  s_.threads_.Remove(task);
}

Expected<Stop> ProcessLifecycle::OnExit(const WaitStatus& ws) {
  ReplayTask* dead = s_.cur_;
  ASSIGN_OR_RETURN(const trace::Event* ev, PeekEvent());
  auto* exit = ev ? std::get_if<trace::ExitEvent>(&ev->body) : nullptr;
  if (!exit) {
    return Diverged("thread " + std::to_string(dead->tid) + " ended (" + ws.ToString() +
                    ") but the recording expected " +
                    (ev ? trace::DescribeEvent(arch(), *ev) : std::string("more events")));
  }
  if (!SameExit(exit->wait_status, ws.raw)) {
    return Diverged("thread " + std::to_string(dead->tid) + " ended with " + ws.ToString() +
                    "; the recording had " +
                    WaitStatus::FromRaw(ws.tid, exit->wait_status).ToString());
  }
  trace::ExitEvent recorded = *exit;
  ConsumeEvent();
  pid_t tgid = dead->tgid;
  bool focus = InFocus(*dead) && tgid == s_.focus_pid_;
  RemoveTask(dead);
  if (recorded.whole_process) {
    ReapThreadsOf(tgid, nullptr);
    if (ReplayTask* leader = FindTask(tgid)) ReapThread(*leader);
    s_.threads_.RemoveIf([&](const ReplayTask& t) { return t.tgid == tgid; });
  }
  if (!recorded.whole_process || !focus) return AfterEvent(false);
  s_.exited_ = WaitStatus::FromRaw(ws.tid, recorded.wait_status);
  ReplayStop stop = MakeStop(ReplayStop::Kind::kExited);
  stop.tid = tgid;
  stop.wait_status = recorded.wait_status;
  return Stop(stop);
}

Expected<Stop> ProcessLifecycle::EndThreadAsRecorded(const trace::ExitEvent& exit) {
  // Killed from outside when recorded (SIGKILL cannot be caught), or by its
  // seccomp filter: end the process here too. SIGKILL is the one signal no
  // handler or mask of the replayed process can divert; the status is the
  // recorded one.
  if (syscall(SYS_tkill, tracee().tid(), SIGKILL) != 0) {  // tkill: any thread of it
    return ErrnoError("ending the replayed thread as recorded");
  }
  ReapThreadsOf(cur().tgid, s_.cur_);
  ASSIGN_OR_RETURN(WaitStatus ws, s_.WaitFor(cur(), /*interruptible=*/false));
  for (int i = 0; i < 16 && !ws.is_exit(); ++i) {
    (void)tracee().Resume(ResumeMode::kCont);
    ASSIGN_OR_RETURN(ws, s_.WaitFor(cur(), /*interruptible=*/false));
  }
  if (ws.kind == WaitStatus::Kind::kKilled) ws = WaitStatus::FromRaw(ws.tid, exit.wait_status);
  return OnExit(ws);
}

}  // namespace rwd::replayer
