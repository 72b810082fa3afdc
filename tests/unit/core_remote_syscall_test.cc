// Injected syscalls on a real tracee (issue #10): a signal that is pending
// when rewind injects a syscall (a child's SIGCHLD the program just
// unblocked) must neither interrupt the injection nor be lost, and the
// thread must get back every register and its signal mask. Before, the
// injection stopped at the signal and left the thread with the injected
// syscall's registers, which it then ran as its own.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

#include "core/code_patcher.h"
#include "core/process.h"
#include "core/remote_syscall.h"

namespace rwd {
namespace {

constexpr unsigned long kOptions =
    PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL;

// /bin/sleep under ptrace, stopped at the end of its execve, with the vDSO
// patched so that it offers a syscall instruction.
class InjectionTarget {
 public:
  void Start() {
    SpawnOptions options;
    options.exe = "/bin/sleep";
    options.argv = {options.exe, "30"};
    options.trap_tsc = false;
    Expected<Process> process = Process::Spawn(options, kOptions);
    if (!process.ok()) GTEST_SKIP() << "cannot trace here: " << process.status().ToString();
    process_.emplace(std::move(*process));
    tracee_.emplace(process_->pid(), arch::HostArch());
    // From the stop before execve to the exec event.
    ASSERT_TRUE(tracee_->Resume(ResumeMode::kCont).ok());
    Expected<WaitStatus> ws = tracee_->Wait();
    ASSERT_TRUE(ws.ok() && ws->kind == WaitStatus::Kind::kPtraceEvent) << ws->ToString();
    // On to execve's exit stop, where the replayer injects after an exec.
    ASSERT_TRUE(tracee_->Resume(ResumeMode::kSyscall).ok());
    ws = tracee_->Wait();
    ASSERT_TRUE(ws.ok() && ws->kind == WaitStatus::Kind::kSyscallStop) << ws->ToString();
    ASSERT_TRUE(tracee_->ReopenMemory().ok());
    Expected<uint64_t> insn = patcher_.PatchVdso(*tracee_);
    ASSERT_TRUE(insn.ok()) << insn.status().ToString();
    syscall_insn_ = *insn;
  }

  Tracee& tracee() { return *tracee_; }
  uint64_t syscall_insn() const { return syscall_insn_; }
  pid_t pid() const { return process_->pid(); }

 private:
  std::optional<Process> process_;
  std::optional<Tracee> tracee_;
  CodePatcher patcher_;
  uint64_t syscall_insn_ = 0;
};

TEST(InjectSyscall, APendingSignalStaysPendingAndEverythingIsRestored) {
  InjectionTarget target;
  ASSERT_NO_FATAL_FAILURE(target.Start());
  Tracee& t = target.tracee();
  const uint64_t mask = (uint64_t{1} << (SIGUSR2 - 1));
  ASSERT_TRUE(t.SetSignalMask(mask).ok());
  Expected<arch::Registers> before = t.GetRegisters();
  ASSERT_TRUE(before.ok());
  // Pending and not blocked: the next resume would deliver it.
  ASSERT_EQ(kill(target.pid(), SIGCHLD), 0);

  const arch::SyscallInfo* getpid = t.arch().syscalls().FindByName("getpid");
  ASSERT_NE(getpid, nullptr);
  for (int i = 0; i < 3; ++i) {
    Expected<int64_t> result = InjectSyscall(t, target.syscall_insn(), getpid->nr, SyscallArgs{});
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_EQ(*result, target.pid());
  }
  Expected<arch::Registers> after = t.GetRegisters();
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(*after == *before);
  Expected<uint64_t> mask_after = t.GetSignalMask();
  ASSERT_TRUE(mask_after.ok());
  EXPECT_EQ(*mask_after, mask);

  // The signal is still there for the program.
  ASSERT_TRUE(t.Resume(ResumeMode::kCont).ok());
  Expected<WaitStatus> ws = t.Wait();
  ASSERT_TRUE(ws.ok());
  EXPECT_EQ(ws->kind, WaitStatus::Kind::kSignalStop) << ws->ToString();
  EXPECT_EQ(ws->signo, SIGCHLD) << ws->ToString();
}

TEST(ForkTracee, TheCopyGetsTheOriginalsSignalMask) {
  InjectionTarget target;
  ASSERT_NO_FATAL_FAILURE(target.Start());
  Tracee& t = target.tracee();
  const uint64_t mask = (uint64_t{1} << (SIGUSR1 - 1)) | (uint64_t{1} << (SIGTERM - 1));
  ASSERT_TRUE(t.SetSignalMask(mask).ok());
  ASSERT_EQ(kill(target.pid(), SIGCHLD), 0);
  Expected<pid_t> copy = ForkTracee(t, target.syscall_insn());
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  Tracee copied(*copy, t.arch());
  Expected<uint64_t> copy_mask = copied.GetSignalMask();
  ASSERT_TRUE(copy_mask.ok());
  EXPECT_EQ(*copy_mask, mask);
  Expected<uint64_t> original_mask = t.GetSignalMask();
  ASSERT_TRUE(original_mask.ok());
  EXPECT_EQ(*original_mask, mask);
  kill(*copy, SIGKILL);
  int raw = 0;
  while (waitpid(*copy, &raw, __WALL) == *copy && !WIFEXITED(raw) && !WIFSIGNALED(raw)) {
  }
}

}  // namespace
}  // namespace rwd
