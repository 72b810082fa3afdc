// What the per-architecture syscall tables say: which syscalls replay
// executes or denies, where the Specials sit, what the recorder refuses, and
// that ordinary userland is covered.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "arch/aarch64/syscall_numbers.h"
#include "arch/syscall_table.h"
#include "arch/x86_64/syscall_numbers.h"

namespace rwd::arch {
namespace {

using ::testing::UnorderedElementsAreArray;

struct NamedTable {
  std::string_view arch;
  std::span<const SyscallInfo> rows;
};

std::vector<NamedTable> AllTables() {
  return {{"x86_64", X86_64SyscallRows()}, {"aarch64", AArch64SyscallRows()}};
}

std::vector<std::string_view> NamesWith(std::span<const SyscallInfo> rows, ReplayAction action) {
  std::vector<std::string_view> names;
  for (const SyscallInfo& row : rows) {
    if (row.action == action) names.push_back(row.name);
  }
  return names;
}

// Replay runs only what changes the replayed process's own state: its
// address space (locked pages included: MADV_DONTNEED depends on them),
// signal state, thread registration, exec and exit.
TEST(SyscallRulesTest, X86_64ExecuteSet) {
  EXPECT_THAT(NamesWith(X86_64SyscallRows(), ReplayAction::kExecute),
              UnorderedElementsAreArray<std::string_view>({"mmap",
                                                           "munmap",
                                                           "mprotect",
                                                           "mremap",
                                                           "brk",
                                                           "madvise",
                                                           "mlock",
                                                           "mlock2",
                                                           "munlock",
                                                           "munlockall",
                                                           "arch_prctl",
                                                           "rt_sigaction",
                                                           "rt_sigprocmask",
                                                           "rt_sigreturn",
                                                           "sigaltstack",
                                                           "execve",
                                                           "execveat",
                                                           "exit",
                                                           "exit_group",
                                                           "clone",
                                                           "fork",
                                                           "vfork",
                                                           "set_tid_address",
                                                           "set_robust_list",
                                                           "personality",
                                                           "pkey_mprotect",
                                                           "pkey_free"}));
}

TEST(SyscallRulesTest, AArch64ExecuteSet) {
  EXPECT_THAT(NamesWith(AArch64SyscallRows(), ReplayAction::kExecute),
              UnorderedElementsAreArray<std::string_view>({"mmap",
                                                           "munmap",
                                                           "mprotect",
                                                           "mremap",
                                                           "brk",
                                                           "madvise",
                                                           "mlock",
                                                           "mlock2",
                                                           "munlock",
                                                           "munlockall",
                                                           "rt_sigaction",
                                                           "rt_sigprocmask",
                                                           "rt_sigreturn",
                                                           "sigaltstack",
                                                           "execve",
                                                           "execveat",
                                                           "exit",
                                                           "exit_group",
                                                           "clone",
                                                           "set_tid_address",
                                                           "set_robust_list",
                                                           "personality",
                                                           "pkey_mprotect",
                                                           "pkey_free"}));
}

// rseq would let the kernel write the CPU number into the program; clone3
// is denied so that glibc falls back to clone, whose flat arguments replay
// rewrites (no exit signal, no vfork wait); ptrace fails with EPERM as for
// any traced program (checked with seccomp below); pkey_alloc fails as on a
// CPU without protection keys, so no page depends on one.
TEST(SyscallRulesTest, OnlyRseqClone3PtraceAndPkeyAllocAreDenied) {
  for (const NamedTable& t : AllTables()) {
    EXPECT_THAT(
        NamesWith(t.rows, ReplayAction::kDeny),
        UnorderedElementsAreArray<std::string_view>({"rseq", "clone3", "ptrace", "pkey_alloc"}))
        << t.arch;
    SyscallTable pkey_table(t.rows);
    ASSERT_NE(pkey_table.FindByName("pkey_alloc"), nullptr) << t.arch;
    EXPECT_EQ(pkey_table.FindByName("pkey_alloc")->deny_errno, ENOSPC) << t.arch;
    SyscallTable clone_table(t.rows);
    ASSERT_NE(clone_table.FindByName("clone3"), nullptr) << t.arch;
    EXPECT_EQ(clone_table.FindByName("clone3")->deny_errno, ENOSYS) << t.arch;
    SyscallTable table(t.rows);
    const SyscallInfo* rseq = table.FindByName("rseq");
    ASSERT_NE(rseq, nullptr) << t.arch;
    // Both architectures use asm-generic/errno.h, so the host's value holds.
    EXPECT_EQ(rseq->deny_errno, ENOSYS) << t.arch;
  }
}

// The generic recorder and replayer switch on Special, so each must sit on
// exactly the syscalls its code was written for.
TEST(SyscallRulesTest, SpecialsSitOnTheirSyscalls) {
  const std::vector<std::pair<Special, std::vector<std::string_view>>> x86 = {
      {Special::kMmap, {"mmap"}},
      {Special::kMunmap, {"munmap"}},
      {Special::kMprotect, {"mprotect", "pkey_mprotect"}},
      {Special::kMremap, {"mremap"}},
      {Special::kBrk, {"brk"}},
      {Special::kExecve, {"execve", "execveat"}},
      {Special::kExit, {"exit"}},
      {Special::kExitGroup, {"exit_group"}},
      {Special::kClone, {"clone", "fork", "vfork"}},
      {Special::kRtSigreturn, {"rt_sigreturn"}},
      {Special::kRtSigaction, {"rt_sigaction"}},
      {Special::kIoctl, {"ioctl"}},
      {Special::kReadv, {"readv", "preadv", "preadv2", "process_vm_readv"}},
      {Special::kRecvmsg, {"recvmsg"}},
      {Special::kRecvmmsg, {"recvmmsg"}},
      {Special::kSelect, {"select", "pselect6"}},
      {Special::kFcntl, {"fcntl"}},
      {Special::kPrctl, {"prctl"}},
      {Special::kArchPrctl, {"arch_prctl"}},
      {Special::kFutex, {"futex"}},
      {Special::kSleep, {"nanosleep", "clock_nanosleep"}},
      {Special::kSeccomp, {"seccomp"}},
      {Special::kCapget, {"capget"}},
      {Special::kPtrace, {"ptrace"}},
      {Special::kSetTidAddress, {"set_tid_address"}},
      {Special::kSetRlimit, {"setrlimit"}},
      {Special::kPrlimit, {"prlimit64"}},
  };
  const std::set<std::string_view> x86_only = {"fork", "vfork", "select", "arch_prctl"};
  for (const NamedTable& t : AllTables()) {
    for (const auto& [special, x86_names] : x86) {
      std::vector<std::string_view> want;
      for (std::string_view name : x86_names) {
        if (t.arch == "x86_64" || !x86_only.contains(name)) want.push_back(name);
      }
      std::vector<std::string_view> got;
      for (const SyscallInfo& row : t.rows) {
        if (row.special == special) got.push_back(row.name);
      }
      EXPECT_THAT(got, UnorderedElementsAreArray(want))
          << t.arch << " special " << static_cast<int>(special);
    }
  }
}

// Syscalls the recorder cannot handle are refused by having no row.
TEST(SyscallRulesTest, UnsupportedSyscallsHaveNoRow) {
  for (const NamedTable& t : AllTables()) {
    SyscallTable table(t.rows);
    for (std::string_view name :
         {"io_uring_setup", "io_uring_enter", "io_uring_register", "perf_event_open", "bpf",
          "process_vm_writev", "userfaultfd", "io_setup", "shmat", "vmsplice",
          "memfd_secret"}) {
      EXPECT_EQ(table.FindByName(name), nullptr) << t.arch << " " << name;
    }
  }
  SyscallTable x86(X86_64SyscallRows());
  for (int nr : {154, 205, 298, 311, 321, 323, 425, 426, 427}) {
    EXPECT_EQ(x86.Find(nr), nullptr) << nr;
  }
  SyscallTable aarch64(AArch64SyscallRows());
  for (int nr : {0, 241, 271, 280, 282, 425}) {
    EXPECT_EQ(aarch64.Find(nr), nullptr) << nr;
  }
}

// What glibc start-up, libstdc++, coreutils, python3 and sh/make need.
TEST(SyscallRulesTest, CoversCommonUserland) {
  const std::vector<std::string_view> generic = {"read",
                                                 "write",
                                                 "pread64",
                                                 "pwrite64",
                                                 "readv",
                                                 "writev",
                                                 "preadv",
                                                 "pwritev",
                                                 "preadv2",
                                                 "pwritev2",
                                                 "openat",
                                                 "openat2",
                                                 "close",
                                                 "close_range",
                                                 "fstat",
                                                 "newfstatat",
                                                 "statx",
                                                 "statfs",
                                                 "fstatfs",
                                                 "lseek",
                                                 "faccessat",
                                                 "faccessat2",
                                                 "getdents64",
                                                 "ioctl",
                                                 "fcntl",
                                                 "dup",
                                                 "dup3",
                                                 "pipe2",
                                                 "mmap",
                                                 "munmap",
                                                 "mprotect",
                                                 "mremap",
                                                 "brk",
                                                 "madvise",
                                                 "msync",
                                                 "mlock",
                                                 "mlock2",
                                                 "munlock",
                                                 "mlockall",
                                                 "munlockall",
                                                 "mincore",
                                                 "gettimeofday",
                                                 "clock_gettime",
                                                 "clock_getres",
                                                 "clock_nanosleep",
                                                 "nanosleep",
                                                 "getrandom",
                                                 "uname",
                                                 "sysinfo",
                                                 "prlimit64",
                                                 "getrlimit",
                                                 "setrlimit",
                                                 "getrusage",
                                                 "times",
                                                 "set_tid_address",
                                                 "set_robust_list",
                                                 "get_robust_list",
                                                 "prctl",
                                                 "rseq",
                                                 "rt_sigaction",
                                                 "rt_sigprocmask",
                                                 "rt_sigreturn",
                                                 "sigaltstack",
                                                 "rt_sigpending",
                                                 "rt_sigtimedwait",
                                                 "rt_sigsuspend",
                                                 "kill",
                                                 "tgkill",
                                                 "tkill",
                                                 "getpid",
                                                 "getppid",
                                                 "gettid",
                                                 "getuid",
                                                 "geteuid",
                                                 "getgid",
                                                 "getegid",
                                                 "getgroups",
                                                 "getresuid",
                                                 "getresgid",
                                                 "getpgid",
                                                 "getsid",
                                                 "setsid",
                                                 "setpgid",
                                                 "umask",
                                                 "setuid",
                                                 "setgid",
                                                 "getcwd",
                                                 "chdir",
                                                 "fchdir",
                                                 "readlinkat",
                                                 "mkdirat",
                                                 "unlinkat",
                                                 "renameat",
                                                 "renameat2",
                                                 "linkat",
                                                 "symlinkat",
                                                 "fchmod",
                                                 "fchmodat",
                                                 "fchown",
                                                 "fchownat",
                                                 "utimensat",
                                                 "truncate",
                                                 "ftruncate",
                                                 "fallocate",
                                                 "fsync",
                                                 "fdatasync",
                                                 "sync",
                                                 "syncfs",
                                                 "flock",
                                                 "socket",
                                                 "socketpair",
                                                 "connect",
                                                 "bind",
                                                 "listen",
                                                 "accept",
                                                 "accept4",
                                                 "getsockname",
                                                 "getpeername",
                                                 "sendto",
                                                 "recvfrom",
                                                 "sendmsg",
                                                 "recvmsg",
                                                 "recvmmsg",
                                                 "sendmmsg",
                                                 "shutdown",
                                                 "setsockopt",
                                                 "getsockopt",
                                                 "ppoll",
                                                 "pselect6",
                                                 "epoll_create1",
                                                 "epoll_ctl",
                                                 "epoll_pwait",
                                                 "epoll_pwait2",
                                                 "eventfd2",
                                                 "timerfd_create",
                                                 "timerfd_settime",
                                                 "timerfd_gettime",
                                                 "signalfd4",
                                                 "inotify_init1",
                                                 "inotify_add_watch",
                                                 "inotify_rm_watch",
                                                 "wait4",
                                                 "waitid",
                                                 "clone",
                                                 "clone3",
                                                 "execve",
                                                 "execveat",
                                                 "exit",
                                                 "exit_group",
                                                 "futex",
                                                 "sched_yield",
                                                 "sched_getaffinity",
                                                 "sched_setaffinity",
                                                 "sched_getparam",
                                                 "sched_getscheduler",
                                                 "sched_get_priority_max",
                                                 "sched_get_priority_min",
                                                 "getpriority",
                                                 "setpriority",
                                                 "membarrier",
                                                 "memfd_create",
                                                 "copy_file_range",
                                                 "sendfile",
                                                 "splice",
                                                 "tee",
                                                 "fadvise64",
                                                 "readahead",
                                                 "capget",
                                                 "personality",
                                                 "getcpu",
                                                 "setitimer",
                                                 "getitimer",
                                                 "timer_create",
                                                 "timer_settime",
                                                 "timer_gettime",
                                                 "timer_delete",
                                                 "ioprio_get",
                                                 "ioprio_set",
                                                 "pidfd_open",
                                                 "getxattr",
                                                 "lgetxattr",
                                                 "fgetxattr",
                                                 "listxattr",
                                                 "llistxattr",
                                                 "flistxattr",
                                                 "restart_syscall"};
  const std::vector<std::string_view> x86_only = {
      "open",   "creat",        "stat",       "lstat",   "access",    "getdents",     "dup2",
      "pipe",   "time",         "alarm",      "pause",   "fork",      "vfork",        "poll",
      "select", "epoll_create", "epoll_wait", "eventfd", "signalfd",  "inotify_init", "mkdir",
      "rmdir",  "unlink",       "rename",     "link",    "symlink",   "readlink",     "chmod",
      "chown",  "lchown",       "utime",      "utimes",  "futimesat", "getpgrp",      "arch_prctl"};
  SyscallTable x86(X86_64SyscallRows());
  SyscallTable aarch64(AArch64SyscallRows());
  for (std::string_view name : generic) {
    EXPECT_NE(x86.FindByName(name), nullptr) << "x86_64 " << name;
    EXPECT_NE(aarch64.FindByName(name), nullptr) << "aarch64 " << name;
  }
  for (std::string_view name : x86_only) {
    EXPECT_NE(x86.FindByName(name), nullptr) << "x86_64 " << name;
  }
}

const OutParam* OutFor(const SyscallInfo& row, int arg) {
  for (const OutParam& out : row.outs) {
    if (out.rule != SizeRule::kNone && out.arg == arg) return &out;
  }
  return nullptr;
}

// Spot checks of rules that are easy to get subtly wrong.
TEST(SyscallRulesTest, RulesOfTrickySyscalls) {
  SyscallTable table(X86_64SyscallRows());
  struct Want {
    std::string_view name;
    int arg;
    SizeRule rule;
    int size_arg;
  };
  const Want wants[] = {
      {"read", 1, SizeRule::kResult, -1},
      {"getcwd", 0, SizeRule::kResult, -1},
      {"readlinkat", 2, SizeRule::kResult, -1},
      {"getdents64", 1, SizeRule::kResult, -1},
      {"getrandom", 0, SizeRule::kResult, -1},
      {"sched_getaffinity", 2, SizeRule::kResult, -1},
      {"rt_sigprocmask", 2, SizeRule::kArg, 3},
      {"rt_sigpending", 0, SizeRule::kArg, 1},
      {"epoll_wait", 1, SizeRule::kResultTimes, -1},
      {"poll", 0, SizeRule::kArgTimes, 1},
      {"mincore", 2, SizeRule::kArgPages, 1},
      {"capget", 1, SizeRule::kCapVersion, 0},
      {"getgroups", 1, SizeRule::kArgTimes, 0},
      {"accept4", 1, SizeRule::kDerefU32Arg, 2},
      {"getsockname", 1, SizeRule::kDerefU32Arg, 2},
      {"getpeername", 1, SizeRule::kDerefU32Arg, 2},
      {"recvfrom", 1, SizeRule::kResult, -1},
      {"recvfrom", 4, SizeRule::kDerefU32Arg, 5},
      {"getsockopt", 3, SizeRule::kDerefU32Arg, 4},
      {"sendfile", 2, SizeRule::kFixed, -1},
      {"socketpair", 3, SizeRule::kFixed, -1},
      {"pipe2", 0, SizeRule::kFixed, -1},
      {"getcpu", 0, SizeRule::kFixed, -1},
      {"getcpu", 1, SizeRule::kFixed, -1},
  };
  for (const Want& want : wants) {
    const SyscallInfo* row = table.FindByName(want.name);
    ASSERT_NE(row, nullptr) << want.name;
    const OutParam* out = OutFor(*row, want.arg);
    ASSERT_NE(out, nullptr) << want.name << " arg " << want.arg;
    EXPECT_EQ(out->rule, want.rule) << want.name << " arg " << want.arg;
    EXPECT_EQ(out->size_arg, want.size_arg) << want.name << " arg " << want.arg;
  }
  // Input-only pointers are not recorded.
  for (std::string_view name : {"write", "open", "openat", "connect", "bind", "epoll_ctl",
                                "setsockopt", "sendmsg", "futex", "execve", "mmap", "arch_prctl"}) {
    const SyscallInfo* row = table.FindByName(name);
    ASSERT_NE(row, nullptr) << name;
    EXPECT_EQ(row->outs[0].rule, SizeRule::kNone) << name;
  }
}

// A program's own sandbox filter runs when recorded and is emulated in
// replay; ptrace fails as for any traced program.
TEST(SyscallRulesTest, SeccompRunsWhenRecordedAndPtraceFailsWithEperm) {
  for (const NamedTable& t : AllTables()) {
    SyscallTable table(t.rows);
    const SyscallInfo* seccomp = table.FindByName("seccomp");
    ASSERT_NE(seccomp, nullptr) << t.arch;
    EXPECT_EQ(seccomp->action, ReplayAction::kEmulate) << t.arch;
    EXPECT_EQ(seccomp->special, Special::kSeccomp) << t.arch;
    const SyscallInfo* ptrace = table.FindByName("ptrace");
    ASSERT_NE(ptrace, nullptr) << t.arch;
    EXPECT_EQ(ptrace->action, ReplayAction::kDeny) << t.arch;
    EXPECT_EQ(ptrace->deny_errno, 1) << t.arch;
  }
}

}  // namespace
}  // namespace rwd::arch
