// ForkProcessWithThreads on a real multithreaded tracee
// (tests/programs/thread_fork_target.c): the copy's threads start with their
// originals' registers, FP state and signal masks, keep their own TLS and
// stacks, can be joined, and the copy runs to a clean exit.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "core/code_patcher.h"
#include "core/process.h"
#include "core/thread_fork.h"

namespace rwd {
namespace {

using Clock = std::chrono::steady_clock;

constexpr unsigned long kOptions =
    PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL;

const char kExpectedOutput[] =
    "advance yes\n"
    "thread 0: tls=10 same_tls=1 stack=100 mask=100 rounding=1\n"
    "thread 1: tls=11 same_tls=1 stack=101 mask=010 rounding=1\n"
    "thread 2: tls=12 same_tls=1 stack=102 mask=001 rounding=1\n";

// waitpid with a deadline, so a broken copy fails the test instead of hanging it.
std::optional<WaitStatus> WaitWithin(pid_t which, std::chrono::seconds limit) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    int raw = 0;
    pid_t r = waitpid(which, &raw, __WALL | WNOHANG);
    if (r > 0) return WaitStatus::FromRaw(r, raw);
    if (r < 0) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return std::nullopt;
}

uint64_t Sigmask(pid_t tid) {
  uint64_t mask = 0;
  EXPECT_EQ(ptrace(PTRACE_GETSIGMASK, tid, sizeof(mask), &mask), 0) << "tid " << tid;
  return mask;
}

std::vector<uint8_t> Regset(pid_t tid, const arch::Regset& set) {
  std::vector<uint8_t> bytes(set.max_bytes);
  iovec iov{bytes.data(), bytes.size()};
  EXPECT_EQ(ptrace(PTRACE_GETREGSET, tid, set.note_type, &iov), 0) << "tid " << tid;
  bytes.resize(iov.iov_len);
  return bytes;
}

// Kills a traced process and reaps all its threads, non-leaders first: the
// leader's exit is reported only once no traced zombie thread is left.
void KillAndReap(pid_t pid) {
  std::vector<pid_t> tids;
  std::string path = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* dir = opendir(path.c_str())) {
    while (dirent* e = readdir(dir)) {
      pid_t tid = e->d_name[0] == '.' ? pid : static_cast<pid_t>(std::stol(e->d_name));
      if (tid != pid) tids.push_back(tid);
    }
    closedir(dir);
  }
  kill(pid, SIGKILL);
  tids.push_back(pid);
  for (pid_t tid : tids) {
    while (std::optional<WaitStatus> ws = WaitWithin(tid, std::chrono::seconds(5))) {
      if (ws->is_exit()) break;
    }
  }
}

// thread_fork_target under ptrace, run to its raise(SIGSTOP) with all four
// threads stopped in SIGSTOP signal-delivery-stops. Records the
// clear_child_tid addresses the way the recorder sees them: the leader's
// from glibc's set_tid_address, the others' from their clone's arguments.
class StoppedTarget {
 public:
  ~StoppedTarget() {
    for (pid_t pid : processes_) KillAndReap(pid);
    if (process_) process_->MarkReaped();
    unlink(out_path_.c_str());
  }

  void Start() {
    char path[] = "/tmp/rewind_thread_fork_XXXXXX";
    int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    close(fd);
    out_path_ = path;
    SpawnOptions options;
    options.exe = std::string(REWIND_PROGRAMS_DIR) + "/thread_fork_target";
    options.argv = {options.exe, out_path_};
    // rseq off as when recording (DESIGN.md): the kernel would otherwise
    // write CPU numbers into the threads' memory behind our back.
    options.envp = {"GLIBC_TUNABLES=glibc.pthread.rseq=0"};
    options.trap_tsc = false;  // the vDSO reads the TSC before we patch it
    Expected<Process> process = Process::Spawn(options, kOptions);
    if (!process.ok()) GTEST_SKIP() << "cannot trace here: " << process.status().ToString();
    process_.emplace(std::move(*process));
    pid_ = process_->pid();
    processes_.push_back(pid_);
    leader_.emplace(pid_, arch::HostArch());
    ASSERT_NO_FATAL_FAILURE(RunToStop());
    for (size_t i = 1; i < tids_.size(); ++i) {
      ASSERT_EQ(syscall(SYS_tgkill, pid_, tids_[i], SIGSTOP), 0);
      std::optional<WaitStatus> ws = WaitWithin(tids_[i], std::chrono::seconds(5));
      ASSERT_TRUE(ws && ws->kind == WaitStatus::Kind::kSignalStop && ws->signo == SIGSTOP)
          << (ws ? ws->ToString() : "timeout");
      others_.emplace_back(tids_[i], arch::HostArch());
    }
    Expected<uint64_t> insn = patcher_.PatchVdso(*leader_);
    ASSERT_TRUE(insn.ok()) << insn.status().ToString();
    syscall_insn_ = *insn;
  }

  std::vector<ThreadState> Others(bool with_clear_child_tid) {
    std::vector<ThreadState> out;
    for (Tracee& t : others_) {
      out.push_back({&t, with_clear_child_tid ? clear_child_tid_.at(t.tid()) : 0});
    }
    return out;
  }

  // Forks `leader` (the original's or a copy's) with `others`; the copy is
  // killed at the end of the test.
  std::vector<pid_t> Fork(Tracee& leader, std::span<const ThreadState> others,
                          bool with_clear_child_tid = true) {
    Expected<std::vector<pid_t>> tids = ForkProcessWithThreads(
        leader, with_clear_child_tid ? leader_clear_child_tid_ : 0, others, syscall_insn_);
    EXPECT_TRUE(tids.ok()) << tids.status().ToString();
    if (!tids.ok()) return {};
    processes_.push_back(tids->front());
    return *tids;
  }

  void KillOriginal() {
    KillAndReap(pid_);
    std::erase(processes_, pid_);
  }

  // Resumes every thread of a copy and runs it to its exit; returns the
  // leader's exit status and the program's output.
  std::pair<WaitStatus, std::string> RunCopy(const std::vector<pid_t>& tids) {
    for (pid_t tid : tids) EXPECT_EQ(ptrace(PTRACE_CONT, tid, nullptr, nullptr), 0);
    WaitStatus leader_exit;
    std::set<pid_t> running(tids.begin(), tids.end());
    while (!running.empty()) {
      std::optional<WaitStatus> ws = WaitWithin(-1, std::chrono::seconds(20));
      if (!ws) {
        ADD_FAILURE() << "the copy did not finish";
        break;
      }
      if (ws->is_exit()) {
        running.erase(ws->tid);
        if (ws->tid == tids.front()) leader_exit = *ws;
        continue;
      }
      int signo = ws->kind == WaitStatus::Kind::kSignalStop ? ws->signo : 0;
      ptrace(PTRACE_CONT, ws->tid, nullptr, reinterpret_cast<void*>(static_cast<long>(signo)));
    }
    std::erase(processes_, tids.front());
    std::ifstream in(out_path_);
    std::stringstream text;
    text << in.rdbuf();
    return {leader_exit, text.str()};
  }

  Tracee& leader() { return *leader_; }
  std::vector<Tracee>& others() { return others_; }

 private:
  // Follows the leader through its syscalls until its raise(SIGSTOP).
  void RunToStop() {
    const arch::Arch& arch = arch::HostArch();
    auto nr = [&](const char* name) { return arch.syscalls().FindByName(name)->nr; };
    uint64_t pending_clear_child_tid = 0;
    ASSERT_EQ(ptrace(PTRACE_SYSCALL, pid_, nullptr, nullptr), 0);
    while (true) {
      std::optional<WaitStatus> ws = WaitWithin(-1, std::chrono::seconds(10));
      ASSERT_TRUE(ws) << "the target never reached its SIGSTOP";
      pid_t tid = ws->tid;
      if (ws->is_exit()) {
        ASSERT_NE(tid, pid_) << ws->ToString();
        continue;  // a child some other test left behind
      }
      long request = tid == pid_ ? PTRACE_SYSCALL : PTRACE_CONT;
      int signo = 0;
      if (ws->kind == WaitStatus::Kind::kSyscallStop) {
        Expected<SyscallStopInfo> info = leader_->GetSyscallInfo();
        ASSERT_TRUE(info.ok());
        if (info->op == SyscallStopInfo::Op::kEntry) {
          if (info->nr == nr("set_tid_address")) leader_clear_child_tid_ = info->args[0];
          uint64_t flags = 0, child_tid = 0;
          if (info->nr == nr("clone3")) {
            // struct clone_args: flags at 0, child_tid at 16 on every architecture.
            flags = *leader_->Read<uint64_t>(info->args[0]);
            child_tid = *leader_->Read<uint64_t>(info->args[0] + 16);
          } else if (info->nr == nr("clone")) {
            flags = info->args[arch.CloneArgs().flags];
            child_tid = info->args[arch.CloneArgs().child_tid];
          }
          if (flags & CLONE_CHILD_CLEARTID) pending_clear_child_tid = child_tid;
        }
      } else if (ws->kind == WaitStatus::Kind::kPtraceEvent && ws->event == PTRACE_EVENT_EXEC) {
        ASSERT_TRUE(leader_->ReopenMemory().ok());  // opened before the exec
      } else if (ws->kind == WaitStatus::Kind::kPtraceEvent && ws->event == PTRACE_EVENT_CLONE) {
        pid_t child = static_cast<pid_t>(*leader_->GetEventMsg());
        tids_.push_back(child);
        clear_child_tid_[child] = pending_clear_child_tid;
      } else if (ws->kind == WaitStatus::Kind::kSignalStop && ws->signo == SIGSTOP) {
        if (tid == pid_) break;  // main's raise; new threads' attach stops pass
      } else if (ws->kind == WaitStatus::Kind::kSignalStop) {
        signo = ws->signo;
      }
      ASSERT_EQ(ptrace(static_cast<__ptrace_request>(request), tid, nullptr,
                       reinterpret_cast<void*>(static_cast<long>(signo))),
                0);
    }
    tids_.insert(tids_.begin(), pid_);
    ASSERT_EQ(tids_.size(), 4u);
    ASSERT_NE(leader_clear_child_tid_, 0u);
    for (size_t i = 1; i < tids_.size(); ++i) ASSERT_NE(clear_child_tid_[tids_[i]], 0u);
  }

  std::string out_path_;
  std::optional<Process> process_;
  pid_t pid_ = -1;
  std::vector<pid_t> processes_;  // killed at the end
  std::optional<Tracee> leader_;
  std::vector<Tracee> others_;
  std::vector<pid_t> tids_;
  std::map<pid_t, uint64_t> clear_child_tid_;
  uint64_t leader_clear_child_tid_ = 0;
  CodePatcher patcher_;
  uint64_t syscall_insn_ = 0;
};

// A fatal failure or a skip (no ptrace here) in Start ends the test.
#define START_OR_SKIP(target)                \
  ASSERT_NO_FATAL_FAILURE((target).Start()); \
  if (::testing::Test::IsSkipped()) return

// The gdb register table names where fs_base lives in NT_PRSTATUS, if the
// architecture has one; nullopt elsewhere.
std::optional<uint64_t> FsBase(const arch::Registers& regs) {
  for (const arch::GdbRegister& r : arch::HostArch().GdbRegisters()) {
    if (r.name == "fs_base" && r.source == arch::RegSource::kGp) {
      uint64_t v = 0;
      std::memcpy(&v, regs.data() + r.offset, sizeof(v));
      return v;
    }
  }
  return std::nullopt;
}

TEST(ThreadForkTest, CopiesStartWithTheOriginalsThreadState) {
  StoppedTarget target;
  START_OR_SKIP(target);
  const arch::Arch& arch = arch::HostArch();
  std::vector<Tracee*> originals = {&target.leader()};
  for (Tracee& t : target.others()) originals.push_back(&t);
  std::vector<arch::Registers> regs;
  std::vector<std::vector<uint8_t>> fp;
  std::vector<uint64_t> masks;
  for (Tracee* t : originals) {
    regs.push_back(*t->GetRegisters());
    fp.push_back(*t->GetFpRegisters());
    masks.push_back(Sigmask(t->tid()));
  }
  std::vector<ThreadState> others = target.Others(true);
  std::vector<pid_t> tids = target.Fork(target.leader(), others);
  ASSERT_EQ(tids.size(), 4u);

  std::set<uint64_t> distinct_fs_base;
  for (size_t i = 0; i < tids.size(); ++i) {
    SCOPED_TRACE("thread " + std::to_string(i));
    Tracee copy(tids[i], arch);
    EXPECT_NE(tids[i], originals[i]->tid());
    Expected<arch::Registers> now = copy.GetRegisters();
    ASSERT_TRUE(now.ok());
    EXPECT_TRUE(*now == regs[i]) << "copy:\n"
                                 << arch.DescribeRegisters(*now) << "\noriginal:\n"
                                 << arch.DescribeRegisters(regs[i]);
    if (std::optional<uint64_t> fs = FsBase(*now)) {
      EXPECT_EQ(*fs, *FsBase(regs[i]));
      distinct_fs_base.insert(*fs);
    }
    EXPECT_EQ(*copy.GetFpRegisters(), fp[i]);
    EXPECT_EQ(Sigmask(tids[i]), masks[i]);
    for (const arch::Regset& set : arch.ThreadRegsets()) {
      EXPECT_EQ(Regset(tids[i], set), Regset(originals[i]->tid(), set));
    }
    // A signal-delivery-stop, not a syscall stop: the registers are the
    // program's, with nothing pending from our injections.
    EXPECT_EQ(copy.GetSyscallInfo()->op, SyscallStopInfo::Op::kNone);
    Expected<std::vector<uint8_t>> siginfo = copy.GetSiginfo();
    ASSERT_TRUE(siginfo.ok());
    EXPECT_EQ(reinterpret_cast<const siginfo_t*>(siginfo->data())->si_signo, SIGSTOP);
  }
  if (!distinct_fs_base.empty()) {
    EXPECT_EQ(distinct_fs_base.size(), 4u);
  }
  // The threads' masks differ, so the copy got each its own.
  EXPECT_EQ(std::set<uint64_t>(masks.begin(), masks.end()).size(), 4u);
}

TEST(ThreadForkTest, CopyRunsItsThreadsToAJoinAndAnExit) {
  StoppedTarget target;
  START_OR_SKIP(target);
  std::vector<ThreadState> others = target.Others(true);
  std::vector<pid_t> tids = target.Fork(target.leader(), others);
  ASSERT_EQ(tids.size(), 4u);
  target.KillOriginal();
  auto [status, output] = target.RunCopy(tids);
  EXPECT_EQ(status.kind, WaitStatus::Kind::kExited) << status.ToString();
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_EQ(output, kExpectedOutput);
}

// Restoring a checkpoint forks the checkpoint again: a copy of a copy.
TEST(ThreadForkTest, CopyOfACopyRuns) {
  StoppedTarget target;
  START_OR_SKIP(target);
  std::vector<ThreadState> others = target.Others(true);
  std::vector<pid_t> first = target.Fork(target.leader(), others);
  ASSERT_EQ(first.size(), 4u);
  Tracee first_leader(first[0], arch::HostArch());
  std::vector<Tracee> first_others;
  for (size_t i = 1; i < first.size(); ++i) first_others.emplace_back(first[i], arch::HostArch());
  std::vector<ThreadState> first_states;
  for (size_t i = 0; i < first_others.size(); ++i) {
    first_states.push_back({&first_others[i], others[i].clear_child_tid});
  }
  std::vector<pid_t> second = target.Fork(first_leader, first_states);
  ASSERT_EQ(second.size(), 4u);
  target.KillOriginal();
  auto [status, output] = target.RunCopy(second);
  EXPECT_EQ(status.exit_code, 0) << status.ToString();
  EXPECT_EQ(output, kExpectedOutput);
}

// Without clear_child_tid nobody clears glibc's tid word when a thread ends,
// so pthread_join waits forever (here: until its deadline). Shows that the
// join in the tests above depends on what ForkProcessWithThreads sets up.
TEST(ThreadForkTest, WithoutClearChildTidJoinsTimeOut) {
  StoppedTarget target;
  START_OR_SKIP(target);
  std::vector<ThreadState> others = target.Others(false);
  std::vector<pid_t> tids = target.Fork(target.leader(), others, false);
  ASSERT_EQ(tids.size(), 4u);
  target.KillOriginal();
  auto [status, output] = target.RunCopy(tids);
  EXPECT_EQ(status.exit_code, 0) << status.ToString();
  EXPECT_NE(output.find("join 0: "), std::string::npos) << output;
  EXPECT_EQ(output.find("thread 0: "), std::string::npos) << output;
}

TEST(ThreadForkTest, OnlyAArch64NeedsAnExtraRegsetForTls) {
  EXPECT_TRUE(arch::ArchFor(arch::ArchId::kX86_64)->ThreadRegsets().empty());
  std::span<const arch::Regset> a64 = arch::ArchFor(arch::ArchId::kAArch64)->ThreadRegsets();
  ASSERT_EQ(a64.size(), 1u);
  EXPECT_EQ(a64[0].note_type, 0x401);  // NT_ARM_TLS
}

}  // namespace
}  // namespace rwd
