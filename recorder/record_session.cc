// RecordSession: starting the program, the main loop, and what every stop
// means; the parts it hands stops to: record_session.h.
#include "recorder/record_session.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "base/signal_name.h"
#include "core/seccomp_filter.h"
#include "preload/syscallbuf_abi.h"
#include "recorder/preload_env.h"
#include "recorder/stop_request.h"
#include "recorder/trace_header_builder.h"
#include "trace/packed_file_cache.h"

namespace rwd::recorder {

namespace {

constexpr unsigned long kPtraceOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC |
                                         PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE |
                                         PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;
constexpr auto kFlushInterval = std::chrono::milliseconds(500);
// Stop requests this close together are one request (see Run).
constexpr auto kSameStopRequestWindow = std::chrono::milliseconds(250);

// Our stdout or stderr (fd 1 or 2) when the program's writes to the same
// file are output worth showing again in replay. A device that discards what
// it is given (/dev/null) is not: every program that writes to its own
// /dev/null would otherwise have those bytes echoed by replay.
std::optional<FileId> EchoedStream(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return std::nullopt;
  struct stat null_device;
  if (S_ISCHR(st.st_mode) && stat("/dev/null", &null_device) == 0 && S_ISCHR(null_device.st_mode) &&
      st.st_rdev == null_device.st_rdev) {
    return std::nullopt;
  }
  return FileId{st.st_dev, st.st_ino};
}

int ShellStatus(int raw) {
  WaitStatus ws = WaitStatus::FromRaw(0, raw);
  return ws.kind == WaitStatus::Kind::kKilled ? 128 + ws.signo : ws.exit_code;
}

}  // namespace

Expected<std::unique_ptr<RecordSession>> RecordSession::Start(const RecordOptions& options) {
  if (options.argv.empty()) return Status(ErrorCode::kInvalidInput, "no program to record");
  ASSIGN_OR_RETURN(std::string exe, ResolveExecutable(options.argv[0]));
  // Tracer and tracee share one CPU: a ptrace stop costs ~10x more when
  // they sit on different vCPUs.
  ASSIGN_OR_RETURN(int cpu, PinToCpu(-1));
  // With its tracees' CPU modes, the recorder's switches to and from them
  // at every stop rewrite no mode (arch.h).
  arch::HostArch().host().AdoptTraceeCpuModes();
  SpawnOptions spawn;
  spawn.exe = exe;
  spawn.argv = options.argv;
  spawn.envp = options.envp;
  MarkRecorded(&spawn.envp);
  bool syscallbuf = !options.syscallbuf_library.empty() && arch::HostArch().HasSyscallBuffer();
  unsigned long ptrace_options = kPtraceOptions;
  if (syscallbuf) {
    // The environment is recorded as the program gets it: replay loads the
    // library (the trace's copy) the same way.
    PreloadLibrary(options.syscallbuf_library, &spawn.envp);
    spawn.seccomp_filter = UntracedIpFilter(arch::HostArch().AuditArch(), RWD_SB_UNTRACED_IP);
    ptrace_options |= PTRACE_O_TRACESECCOMP;
  }
  trace::TraceHeader header = BuildHeader(exe, options.argv, spawn.envp, cpu, options.cpuid_mask);
  ASSIGN_OR_RETURN(auto writer, trace::TraceWriter::Create(options.trace_dir, header));
  spawn.cwd = header.cwd;
  spawn.cpu = cpu;
  ASSIGN_OR_RETURN(Process process, Process::Spawn(spawn, ptrace_options));
  Tracee tracee(process.pid(), arch::HostArch());
  // Ctrl-C belongs to the program, as without rewind; the recorder keeps
  // going so the trace stays complete. Stop requests: stop_request.h.
  StopRequests::Install();
  std::unique_ptr<RecordSession> session(
      new RecordSession(std::move(process), std::move(tracee), std::move(writer), options));
  session->on_note_ = options.on_note;
  // A long file copy (a huge mapped file) is where a stop request would
  // otherwise wait: it ends the copy, and Run() the recording.
  RecordSession* noted = session.get();
  session->writer_->WatchFileCopies(
      [noted] {
        if (!StopRequests::Pending()) return false;
        // Taken here as Run() would take it: one the program sent its own
        // group is not a request to stop.
        StopRequests::Request request = StopRequests::Take();
        if (!request.signo || noted->SentByTheProgram(request.sender)) return false;
        noted->stop_during_copy_ = request.signo;
        return true;
      },
      [noted](const std::string& path, uint64_t done, uint64_t size) {
        char note[512];
        snprintf(note, sizeof(note),
                 "storing a copy of %s in the trace: %.1f of %.1f GiB (SIGTERM stops the "
                 "recording here, keeping the trace)",
                 path.c_str(), static_cast<double>(done) / (1 << 30),
                 static_cast<double>(size) / (1 << 30));
        noted->Note(note);
      });
  // An exec of a large binary an earlier recording stored (a compiler in a
  // build) then costs a copy, not a compression.
  session->writer_->UsePackedFileCache(trace::PackedFileCache::DefaultDir());
  session->syscallbuf_ = syscallbuf;
  session->on_verbose_ = options.on_verbose;
  session->wait_for_all_ = options.wait_for_all;
  // Also without an interval: the program may ask for checkpoints.
  session->snapshots_.set_taker(
      std::make_unique<SnapshotTaker>(options.trace_dir, options.snapshot_interval));
  if (!syscallbuf && !options.syscallbuf_library.empty() && options.on_verbose) {
    options.on_verbose("no syscall buffer on " + std::string(arch::HostArch().name()) +
                       " yet: every syscall stops the program");
  }
  return session;
}

RecordSession::RecordSession(Process process, Tracee tracee,
                             std::unique_ptr<trace::TraceWriter> writer,
                             const RecordOptions& options)
    : process_(std::move(process)),
      writer_(std::move(writer)),
      last_flush_(CoarseNow()),
      on_fatal_signal_(options.on_fatal_signal) {
  if (options.chaos) scheduler_.EnableChaos();
  cpuid_mask_ = options.cpuid_mask;
  root_pid_ = tracee.tid();
  for (int fd : {1, 2}) own_streams_[fd - 1] = EchoedStream(fd);
  tasks_.push_back(std::make_unique<RecordTask>(std::move(tracee), root_pid_));
  processes_[root_pid_];
}

Status RecordSession::Append(pid_t tid, trace::EventBody body) {
  // What the thread buffered comes before what stopped it.
  if (RecordTask* task = Find(tid)) RETURN_IF_ERROR(buffer_.FlushSyscallBuffer(*task));
  trace::Event event;
  event.tid = tid;
  event.body = std::move(body);
  RETURN_IF_ERROR(writer_->Append(event));
  RETURN_IF_ERROR(passes_.OnAppend(tid));
  // Bound what a killed recorder loses to the last half second.
  auto now = CoarseNow();
  if (now - last_flush_ > kFlushInterval) {
    last_flush_ = now;
    RETURN_IF_ERROR(writer_->Flush());
  }
  return Status::Ok();
}

void RecordSession::Note(const std::string& note) {
  if (on_note_ && noted_.insert(note).second) on_note_(note);
}

Status RecordSession::Fail(Status status) {
  snapshots_.FinishSnapshots();
  Status flushed = writer_->Flush();
  for (const auto& task : tasks_) kill(task->tid(), SIGKILL);
  process_.Kill();
  std::string kept = " (the trace up to event " + std::to_string(writer_->events_written()) +
                     " is kept in " + writer_->dir() + ")";
  if (!flushed.ok()) kept = " (the trace could not be saved: " + flushed.message() + ")";
  return Status(status.code(), status.message() + kept);
}

Expected<int> RecordSession::FailOrStop(Status status) {
  // A stop request ended a long file copy: stop now, keeping the trace, as
  // on a second request (the program is in the middle of a syscall).
  if (status.code() == ErrorCode::kCancelled) {
    if (int signo = stop_during_copy_) {
      stop_during_copy_ = 0;
      Expected<bool> stopped = OnStopRequest(signo, /*again=*/true);
      if (stopped.ok()) return 128 + signo;
    }
  }
  return Fail(status);
}

Expected<int> RecordSession::Run() {
  Status started = Schedule(*tasks_.front());
  if (!started.ok()) return FailOrStop(started);
  std::optional<std::chrono::steady_clock::time_point> passed_on_at;
  while (!tasks_.empty()) {
    StopRequests::Request request = StopRequests::Take();
    // A recorded process signalling its own process group reached the
    // program already; passing it on would deliver it twice.
    if (request.signo && !SentByTheProgram(request.sender)) {
      int signo = request.signo;
      // Senders often signal twice at once: `timeout` signals its child and
      // then its whole process group. A repeat that soon is the same request,
      // not a user insisting.
      bool repeat = passed_on_at && MonotonicNow() - *passed_on_at > kSameStopRequestWindow;
      if (!passed_on_at || repeat) {
        Expected<bool> stop = OnStopRequest(signo, repeat);
        if (!stop.ok()) return Fail(stop.status());
        if (*stop) return 128 + signo;
        passed_on_at = MonotonicNow();
      }
    }
    if (root_status_ && !wait_for_all_ && !leftovers_killed_ && !tasks_.empty()) {
      KillLeftoverProcesses();
    }
    Status s = leftovers_killed_ ? CollectKilledProcesses() : Step();
    if (!s.ok()) return FailOrStop(s);
  }
  process_.MarkReaped();
  snapshots_.FinishSnapshots();
  RETURN_IF_ERROR(writer_->Finish());
  return ShellStatus(root_status_.value_or(0));
}

bool RecordSession::SentByTheProgram(pid_t sender) const {
  if (sender <= 0) return false;
  if (processes_.count(sender)) return true;
  for (const auto& task : tasks_) {
    if (task->tid() == sender) return true;
  }
  return false;
}

void RecordSession::KillLeftoverProcesses() {
  leftovers_killed_ = true;
  Note(std::to_string(processes_.size()) +
       " process(es) the program left running when its first process ended were killed, "
       "as rr does (record --wait records until they end)");
  // What they buffered ran (their output showed): it goes into the trace
  // while their memory can still be read. Replay shows it, then ends them
  // where the trace does.
  for (const auto& task : tasks_) buffer_.FlushSyscallBuffer(*task).IgnoreError();
  current_ = nullptr;
  for (const auto& [pid, process] : processes_) kill(pid, SIGKILL);
}

Status RecordSession::CollectKilledProcesses() {
  ASSIGN_OR_RETURN(std::optional<WaitStatus> waited,
                   WaitAnyTracee([]() { return StopRequests::Pending(); }));
  if (!waited) return Status::Ok();
  if (waited->is_exit()) return OnDeath(*waited);
  // A stop queued before the kill, or the exit stop on the way to the
  // death: nothing of it goes into the trace.
  ptrace(PTRACE_CONT, waited->tid, 0, 0);
  return Status::Ok();
}

Expected<bool> RecordSession::OnStopRequest(int signo, bool again) {
  RETURN_IF_ERROR(writer_->Flush());
  last_flush_ = CoarseNow();
  if (!again) {
    for (const auto& [pid, process] : processes_) kill(pid, signo);
    return false;
  }
  for (const auto& task : tasks_) kill(task->tid(), SIGKILL);
  process_.Kill();
  fprintf(stderr,
          "rewind: stopped recording on %s; the trace up to event %llu is kept "
          "in %s\n",
          strsignal(signo), static_cast<unsigned long long>(writer_->events_written()),
          writer_->dir().c_str());
  return true;
}

Status RecordSession::Step() {
  if (!current_) {
    if (RecordTask* next = scheduler_.PickNext()) return Schedule(*next);
  }
  ASSIGN_OR_RETURN(std::optional<WaitStatus> waited, scheduler_.WaitForStop());
  RETURN_IF_ERROR(scheduler_.TakeWakeupError());
  if (!waited) return Status::Ok();  // the scheduler decided to switch
  const WaitStatus& ws = *waited;
  if (ws.is_exit()) return OnDeath(ws);
  if (ws.kind == WaitStatus::Kind::kPtraceEvent && ws.event == PTRACE_EVENT_EXEC) {
    RETURN_IF_ERROR(TakeOverLeaderAtExec(ws.tid));
  }
  RecordTask* task = Find(ws.tid);
  if (!task) {
    early_stops_[ws.tid] = ws;  // a new thread, before its parent's clone event
    return Status::Ok();
  }
  snapshots_.OnStop(*task);
  if (task != current_) {
    StashStop(ws);
    return current_ ? syscalls_.LetOthersRunDuringWait(*current_) : Status::Ok();
  }
  return HandleStop(*task, ws);
}

Status RecordSession::TakeOverLeaderAtExec(pid_t leader_tid) {
  unsigned long former = 0;
  if (ptrace(PTRACE_GETEVENTMSG, leader_tid, nullptr, &former) != 0) {
    return ErrnoError("reading the former tid of the thread in execve");
  }
  if (static_cast<pid_t>(former) == leader_tid) return Status::Ok();
  // A thread other than the leader execs: the kernel ended the others, and
  // gave it the leader's tid (the leader itself reports no death).
  RecordTask* execing = Find(static_cast<pid_t>(former));
  if (!execing) return Status::Ok();
  auto leader = std::find_if(tasks_.begin(), tasks_.end(),
                             [&](const auto& t) { return t->tid() == leader_tid; });
  if (leader != tasks_.end()) {
    if (current_ == leader->get()) current_ = nullptr;
    tasks_.erase(leader);
  }
  early_stops_.erase(leader_tid);
  execing->exec_former_tid = execing->tid();
  execing->tracee = Tracee(leader_tid, execing->tracee.arch());
  return Status::Ok();
}

void RecordSession::StashStop(const WaitStatus& ws) {
  RecordTask* task = Find(ws.tid);
  task->unhandled = ws;
  task->state = RecordTask::State::kStopped;
}

Status RecordSession::Schedule(RecordTask& task) {
  // A process switched away from may be in a snapshot being written.
  snapshots_.OnStop(task);
  current_ = &task;
  scheduler_.StartSlice(task);
  if (task.unhandled) {
    WaitStatus ws = *task.unhandled;
    task.unhandled.reset();
    return HandleStop(task, ws);
  }
  ASSIGN_OR_RETURN(bool watched, spin_.Resume(task));
  if (watched) return Status::Ok();
  return Resume(task);
}

Status RecordSession::Resume(RecordTask& task, int signo) {
  // A thread stopped inside a syscall (an exec's event stop handled after a
  // switch) goes on with it: no SIGSTOP may be sent before its exit stop,
  // where the syscalls the recorder injects after an exec would swallow it.
  if (task.state == RecordTask::State::kStopped) {
    task.state = task.pending ? RecordTask::State::kInSyscall : RecordTask::State::kRunning;
  }
  if (!task.pending) task.syscallbuf_dirty = true;
  Status s = task.tracee.Resume(task.pending ? ResumeMode::kSyscall : buffer_.RunMode(task), signo);
  // Killed meanwhile (exit_group of another thread, SIGKILL from outside):
  // its death notification follows.
  if (s.code() == ErrorCode::kTraceeExited) return Status::Ok();
  return s;
}

Status RecordSession::HandleStop(RecordTask& task, const WaitStatus& ws) {
  if (task.spin_watch) {
    ASSIGN_OR_RETURN(bool handled, spin_.OnStop(task, ws));
    if (handled) return Status::Ok();
  }
  switch (ws.kind) {
    case WaitStatus::Kind::kSyscallStop: {
      // A thread resumed with PTRACE_SYSCALL alternates entry and exit
      // stops: after an entry we handled (`pending`), this is its exit, and
      // the registers say all we need. Otherwise ask the kernel: an entry,
      // the syscall buffer's own call, or the exit of a syscall begun before
      // tracing (the program's first stop, in raise(SIGSTOP)), which has
      // nothing to record.
      if (!task.pending) {
        ASSIGN_OR_RETURN(SyscallStopInfo info, task.tracee.GetSyscallInfo());
        if (syscallbuf_ && info.ip == RWD_SB_UNTRACED_IP) {
          // The syscall buffer's own call, stopped at only because this
          // process runs under PTRACE_SYSCALL: the buffer records it.
          return task.tracee.Resume(ResumeMode::kSyscall);
        }
        if (info.op == SyscallStopInfo::Op::kEntry) return syscalls_.OnSyscallEntry(task, info);
      }
      ASSIGN_OR_RETURN(arch::Registers regs, task.tracee.GetRegisters());
      const bool sigreturn =
          task.pending && task.pending->info->special == arch::Special::kRtSigreturn;
      if (task.pending) {
        RETURN_IF_ERROR(syscalls_.OnSyscallExit(task, regs));
        task.spinning = false;  // it made progress of its own
      }
      snapshots_.BoundaryReached(task);
      std::optional<std::string> checkpoint = std::exchange(task.checkpoint_name, std::nullopt);
      if (current_ != &task) return Status::Ok();
      task.boundary_regs = regs;
      task.boundary_memory.reset();
      RETURN_IF_ERROR(passes_.EndAtSyscallExit(task, sigreturn));
      snapshots_.MaybeSnapshot(task, checkpoint);
      // After the snapshot's fork, which must copy the program's own code.
      RETURN_IF_ERROR(passes_.AfterSyscall(task, sigreturn));
      task.state = RecordTask::State::kRunning;
      // An event boundary: the cheapest place to let a waiting thread run.
      if (scheduler_.SwitchAtBoundary(task)) {
        scheduler_.SwitchAway(task);
        return Status::Ok();
      }
      return Resume(task);
    }
    case WaitStatus::Kind::kPtraceEvent:
      if (ws.event == PTRACE_EVENT_SECCOMP) return buffer_.OnSeccompStop(task);
      if (ws.event == PTRACE_EVENT_CLONE || ws.event == PTRACE_EVENT_FORK ||
          ws.event == PTRACE_EVENT_VFORK) {
        return syscalls_.OnCloneEvent(task);
      }
      return Resume(task);  // exec: its syscall-exit stop follows
    case WaitStatus::Kind::kGroupStop:
      return Resume(task);
    case WaitStatus::Kind::kSignalStop: {
      if (InGroupStop(task, ws)) return StayJobStopped(task);
      ASSIGN_OR_RETURN(int deliver, signals_.OnSignal(task, ws.signo));
      if (deliver < 0) return Status::Ok();  // switched away
      if (deliver > 0) NoteFatalSignal(task, deliver);
      if (deliver > 0) {
        Expected<bool> entered = signals_.EnterHandler(task, deliver);
        // Killed meanwhile: its death notification follows.
        if (entered.status().code() == ErrorCode::kTraceeExited) return Status::Ok();
        if (!entered.ok()) return entered.status();
        if (*entered) deliver = 0;
      }
      return Resume(task, deliver);
    }
    case WaitStatus::Kind::kExited:
    case WaitStatus::Kind::kKilled:
      return OnDeath(ws);
  }
  return Status::Ok();
}

bool RecordSession::InGroupStop(const RecordTask& task, const WaitStatus& ws) const {
  // A stopping signal delivered to the process (the one the program sent,
  // passed on at its signal-delivery stop) stops each of its threads again,
  // in a group-stop: a stop of that signal with no siginfo to read.
  bool stopping =
      ws.signo == SIGSTOP || ws.signo == SIGTSTP || ws.signo == SIGTTIN || ws.signo == SIGTTOU;
  return stopping && !task.tracee.GetSiginfo().ok();
}

Status RecordSession::StayJobStopped(RecordTask& task) {
  // Job control: the thread stays stopped, as the parent's
  // waitpid(WUNTRACED) and a later SIGCONT expect, while other threads run.
  // A tracee in its group-stop is not woken by SIGCONT: the scheduler sees
  // the signal pending (RecordScheduler::WakeContinued) and resumes it then;
  // the SIGCONT's delivery follows as a signal of its own.
  task.state = RecordTask::State::kJobStopped;
  if (current_ == &task) current_ = nullptr;
  return Status::Ok();
}

Status RecordSession::OnDeath(const WaitStatus& ws) {
  early_stops_.erase(ws.tid);
  auto it =
      std::find_if(tasks_.begin(), tasks_.end(), [&](const auto& t) { return t->tid() == ws.tid; });
  if (it == tasks_.end()) return Status::Ok();
  RecordTask& task = **it;
  pid_t tgid = task.tgid;
  ProcessState& process = processes_[tgid];
  bool own_exit = task.state == RecordTask::State::kExiting && task.pending &&
                  task.pending->info->special == arch::Special::kExit;
  if (ws.tid == tgid) process.leader_status = ws.raw;
  if (process.ender == 0) {
    // Nothing in the process asked to end it: a fatal signal of the thread
    // that was running, or a kill from outside.
    process.ender = current_ && current_->tgid == tgid ? current_->tid() : tgid;
  }
  if (current_ == &task) current_ = nullptr;
  ReleaseVforkParent(ws.tid);
  ReleaseSharedBuffer(task);
  // A fatal signal ends every thread of the process: schedule none of them
  // (they may have died at a stop not handled yet) until all are collected.
  if (ws.kind == WaitStatus::Kind::kKilled) scheduler_.set_dying(tgid);
  size_t others = ThreadsOf(tgid) - 1;
  if (others > 0 && own_exit && !task.exit_recorded) {
    // One thread ended; the process goes on.
    RETURN_IF_ERROR(Append(task.tid(), trace::ExitEvent{ws.raw, /*whole_process=*/false}));
    if (process.ender == task.tid()) process.ender = 0;
  }
  tasks_.erase(it);
  if (others > 0) return Status::Ok();

  // The process ended: one event, from the thread that ended it.
  int status = process.leader_status.value_or(ws.raw);
  RETURN_IF_ERROR(Append(process.ender, trace::ExitEvent{status, /*whole_process=*/true}));
  if (tgid == root_pid_) root_status_ = status;
  scheduler_.ProcessEnded(tgid);
  buffer_.NoteUnbuffered(tgid);
  processes_.erase(tgid);
  return Status::Ok();
}

void RecordSession::NoteFatalSignal(RecordTask& task, int signo) {
  if (!on_fatal_signal_ || !IsCoreDumpSignal(signo)) return;
  auto siginfo = task.tracee.GetSiginfo();
  auto regs = task.tracee.GetRegisters();
  if (!siginfo.ok() || !regs.ok()) return;
  if (!DeliveryRunsDefaultAction(task.tid(), signo, *siginfo)) return;
  on_fatal_signal_(FatalSignalStop{task.tgid, &task.tracee, signo, *siginfo, *regs});
}

void RecordSession::ReleaseVforkParent(pid_t child) {
  for (const auto& t : tasks_) {
    if (t->vfork_child != child) continue;
    t->vfork_child = 0;
    buffer_.LockSyscallBuffer(*t, false);
  }
}

void RecordSession::ReleaseSharedBuffer(RecordTask& child) {
  if (child.shares_buffer_of == 0) return;
  RecordTask* owner = Find(child.shares_buffer_of);
  child.shares_buffer_of = 0;
  if (owner && --owner->buffer_sharers == 0) buffer_.LockSyscallBuffer(*owner, false);
}

RecordTask* RecordSession::Find(pid_t tid) {
  for (const auto& t : tasks_) {
    if (t->tid() == tid) return t.get();
  }
  return nullptr;
}

size_t RecordSession::ThreadsOf(pid_t tgid) const {
  return std::count_if(tasks_.begin(), tasks_.end(),
                       [&](const auto& t) { return t->tgid == tgid; });
}

}  // namespace rwd::recorder
