// The per-architecture syscall tables as data: numbering, unique and
// well-formed rows, and the SyscallTable lookups.
#include <gtest/gtest.h>
#include <sys/syscall.h>

#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "arch/aarch64/syscall_numbers.h"
#include "arch/syscall_table.h"
#include "arch/x86_64/syscall_numbers.h"

namespace rwd::arch {
namespace {

struct NamedTable {
  std::string_view arch;
  std::span<const SyscallInfo> rows;
};

std::vector<NamedTable> AllTables() {
  return {{"x86_64", X86_64SyscallRows()}, {"aarch64", AArch64SyscallRows()}};
}

// Syscall numbers paired with names, as the host's <sys/syscall.h> spells
// them.
struct HostNumber {
  long nr;
  std::string_view name;
};
#define REWIND_SYS(name) \
  HostNumber { SYS_##name, #name }

// The names both tables have, numbered by whichever the host is.
// clang-format off
constexpr HostNumber kCommonHostNumbers[] = {
    REWIND_SYS(read), REWIND_SYS(write), REWIND_SYS(close), REWIND_SYS(fstat),
    REWIND_SYS(lseek), REWIND_SYS(mmap), REWIND_SYS(mprotect),
    REWIND_SYS(munmap), REWIND_SYS(brk), REWIND_SYS(rt_sigaction),
    REWIND_SYS(rt_sigprocmask), REWIND_SYS(rt_sigreturn), REWIND_SYS(ioctl),
    REWIND_SYS(pread64), REWIND_SYS(pwrite64), REWIND_SYS(readv),
    REWIND_SYS(writev), REWIND_SYS(sched_yield), REWIND_SYS(mremap),
    REWIND_SYS(msync), REWIND_SYS(mincore), REWIND_SYS(madvise),
    REWIND_SYS(dup), REWIND_SYS(nanosleep), REWIND_SYS(getitimer),
    REWIND_SYS(setitimer), REWIND_SYS(getpid), REWIND_SYS(sendfile),
    REWIND_SYS(socket), REWIND_SYS(connect), REWIND_SYS(accept),
    REWIND_SYS(sendto), REWIND_SYS(recvfrom), REWIND_SYS(sendmsg),
    REWIND_SYS(recvmsg), REWIND_SYS(shutdown), REWIND_SYS(bind),
    REWIND_SYS(listen), REWIND_SYS(getsockname), REWIND_SYS(getpeername),
    REWIND_SYS(socketpair), REWIND_SYS(setsockopt), REWIND_SYS(getsockopt),
    REWIND_SYS(clone), REWIND_SYS(execve), REWIND_SYS(exit), REWIND_SYS(wait4),
    REWIND_SYS(kill), REWIND_SYS(uname), REWIND_SYS(fcntl), REWIND_SYS(flock),
    REWIND_SYS(fsync), REWIND_SYS(fdatasync), REWIND_SYS(truncate),
    REWIND_SYS(ftruncate), REWIND_SYS(getcwd), REWIND_SYS(chdir),
    REWIND_SYS(fchdir), REWIND_SYS(fchmod), REWIND_SYS(fchown),
    REWIND_SYS(umask), REWIND_SYS(gettimeofday), REWIND_SYS(getrlimit),
    REWIND_SYS(getrusage), REWIND_SYS(sysinfo), REWIND_SYS(times),
    REWIND_SYS(getuid), REWIND_SYS(getgid), REWIND_SYS(setuid),
    REWIND_SYS(setgid), REWIND_SYS(geteuid), REWIND_SYS(getegid),
    REWIND_SYS(setpgid), REWIND_SYS(getppid), REWIND_SYS(setsid),
    REWIND_SYS(setreuid), REWIND_SYS(setregid), REWIND_SYS(getgroups),
    REWIND_SYS(setgroups), REWIND_SYS(setresuid), REWIND_SYS(getresuid),
    REWIND_SYS(setresgid), REWIND_SYS(getresgid), REWIND_SYS(getpgid),
    REWIND_SYS(setfsuid), REWIND_SYS(setfsgid), REWIND_SYS(getsid),
    REWIND_SYS(capget), REWIND_SYS(capset), REWIND_SYS(rt_sigpending),
    REWIND_SYS(rt_sigtimedwait), REWIND_SYS(rt_sigqueueinfo),
    REWIND_SYS(rt_sigsuspend), REWIND_SYS(sigaltstack), REWIND_SYS(personality),
    REWIND_SYS(statfs), REWIND_SYS(fstatfs), REWIND_SYS(getpriority),
    REWIND_SYS(setpriority), REWIND_SYS(sched_setparam),
    REWIND_SYS(sched_getparam), REWIND_SYS(sched_setscheduler),
    REWIND_SYS(sched_getscheduler), REWIND_SYS(sched_get_priority_max),
    REWIND_SYS(sched_get_priority_min), REWIND_SYS(sched_rr_get_interval),
    REWIND_SYS(mlock), REWIND_SYS(munlock), REWIND_SYS(mlockall),
    REWIND_SYS(munlockall), REWIND_SYS(prctl), REWIND_SYS(adjtimex),
    REWIND_SYS(setrlimit), REWIND_SYS(chroot), REWIND_SYS(sync),
    REWIND_SYS(settimeofday), REWIND_SYS(mount), REWIND_SYS(umount2),
    REWIND_SYS(sethostname), REWIND_SYS(setdomainname), REWIND_SYS(gettid),
    REWIND_SYS(readahead), REWIND_SYS(setxattr), REWIND_SYS(lsetxattr),
    REWIND_SYS(fsetxattr), REWIND_SYS(getxattr), REWIND_SYS(lgetxattr),
    REWIND_SYS(fgetxattr), REWIND_SYS(listxattr), REWIND_SYS(llistxattr),
    REWIND_SYS(flistxattr), REWIND_SYS(removexattr), REWIND_SYS(lremovexattr),
    REWIND_SYS(fremovexattr), REWIND_SYS(tkill), REWIND_SYS(futex),
    REWIND_SYS(sched_setaffinity), REWIND_SYS(sched_getaffinity),
    REWIND_SYS(getdents64), REWIND_SYS(set_tid_address),
    REWIND_SYS(restart_syscall), REWIND_SYS(fadvise64), REWIND_SYS(seccomp), REWIND_SYS(ptrace),
    REWIND_SYS(timer_create), REWIND_SYS(timer_settime),
    REWIND_SYS(timer_gettime), REWIND_SYS(timer_getoverrun),
    REWIND_SYS(timer_delete), REWIND_SYS(clock_settime),
    REWIND_SYS(clock_gettime), REWIND_SYS(clock_getres),
    REWIND_SYS(clock_nanosleep), REWIND_SYS(exit_group), REWIND_SYS(epoll_ctl),
    REWIND_SYS(tgkill), REWIND_SYS(mq_open), REWIND_SYS(mq_unlink),
    REWIND_SYS(mq_timedsend), REWIND_SYS(mq_timedreceive),
    REWIND_SYS(mq_notify), REWIND_SYS(mq_getsetattr), REWIND_SYS(waitid),
    REWIND_SYS(ioprio_set), REWIND_SYS(ioprio_get),
    REWIND_SYS(inotify_add_watch), REWIND_SYS(inotify_rm_watch),
    REWIND_SYS(openat), REWIND_SYS(mkdirat), REWIND_SYS(mknodat),
    REWIND_SYS(fchownat), REWIND_SYS(newfstatat), REWIND_SYS(unlinkat),
    REWIND_SYS(renameat), REWIND_SYS(linkat), REWIND_SYS(symlinkat),
    REWIND_SYS(readlinkat), REWIND_SYS(fchmodat), REWIND_SYS(faccessat),
    REWIND_SYS(pselect6), REWIND_SYS(ppoll), REWIND_SYS(set_robust_list),
    REWIND_SYS(get_robust_list), REWIND_SYS(splice), REWIND_SYS(tee),
    REWIND_SYS(sync_file_range), REWIND_SYS(utimensat), REWIND_SYS(epoll_pwait),
    REWIND_SYS(timerfd_create), REWIND_SYS(fallocate),
    REWIND_SYS(timerfd_settime), REWIND_SYS(timerfd_gettime),
    REWIND_SYS(accept4), REWIND_SYS(signalfd4), REWIND_SYS(eventfd2),
    REWIND_SYS(epoll_create1), REWIND_SYS(dup3), REWIND_SYS(pipe2),
    REWIND_SYS(inotify_init1), REWIND_SYS(preadv), REWIND_SYS(pwritev),
    REWIND_SYS(rt_tgsigqueueinfo), REWIND_SYS(recvmmsg),
    REWIND_SYS(fanotify_init), REWIND_SYS(fanotify_mark), REWIND_SYS(prlimit64),
    REWIND_SYS(clock_adjtime), REWIND_SYS(syncfs), REWIND_SYS(sendmmsg),
    REWIND_SYS(getcpu), REWIND_SYS(sched_setattr), REWIND_SYS(sched_getattr),
    REWIND_SYS(renameat2), REWIND_SYS(getrandom), REWIND_SYS(memfd_create),
    REWIND_SYS(execveat), REWIND_SYS(membarrier), REWIND_SYS(mlock2),
    REWIND_SYS(copy_file_range), REWIND_SYS(preadv2), REWIND_SYS(pwritev2),
    REWIND_SYS(pkey_mprotect), REWIND_SYS(pkey_alloc), REWIND_SYS(pkey_free),
    REWIND_SYS(statx), REWIND_SYS(rseq), REWIND_SYS(pidfd_send_signal),
    REWIND_SYS(pidfd_open), REWIND_SYS(clone3), REWIND_SYS(close_range),
    REWIND_SYS(openat2), REWIND_SYS(faccessat2), REWIND_SYS(epoll_pwait2),
    REWIND_SYS(futex_waitv), REWIND_SYS(acct), REWIND_SYS(pidfd_getfd),
    REWIND_SYS(process_vm_readv), REWIND_SYS(unshare), REWIND_SYS(setns),
    // Newer than this host's headers; 452 on every architecture (the
    // unified numbering from 424 on).
    HostNumber{452, "fchmodat2"},
};
// clang-format on

#if defined(__x86_64__)
// The legacy entry points only x86-64 has.
// clang-format off
constexpr HostNumber kX86_64OnlyHostNumbers[] = {
    REWIND_SYS(open), REWIND_SYS(stat), REWIND_SYS(lstat), REWIND_SYS(poll),
    REWIND_SYS(access), REWIND_SYS(pipe), REWIND_SYS(select), REWIND_SYS(dup2),
    REWIND_SYS(pause), REWIND_SYS(alarm), REWIND_SYS(fork), REWIND_SYS(vfork),
    REWIND_SYS(getdents), REWIND_SYS(rename), REWIND_SYS(mkdir),
    REWIND_SYS(rmdir), REWIND_SYS(creat), REWIND_SYS(link), REWIND_SYS(unlink),
    REWIND_SYS(symlink), REWIND_SYS(readlink), REWIND_SYS(chmod),
    REWIND_SYS(chown), REWIND_SYS(lchown), REWIND_SYS(getpgrp),
    REWIND_SYS(utime), REWIND_SYS(mknod), REWIND_SYS(arch_prctl),
    REWIND_SYS(time), REWIND_SYS(epoll_create), REWIND_SYS(epoll_wait),
    REWIND_SYS(utimes), REWIND_SYS(inotify_init), REWIND_SYS(futimesat),
    REWIND_SYS(signalfd), REWIND_SYS(eventfd),
};
// clang-format on
#endif

void ExpectHostNumbers(const SyscallTable& table, std::span<const HostNumber> want) {
  for (const HostNumber& host : want) {
    const SyscallInfo* row = table.FindByName(host.name);
    ASSERT_NE(row, nullptr) << host.name << " has no row";
    EXPECT_EQ(row->nr, host.nr) << host.name;
  }
}

TEST(SyscallTableTest, X86_64NumbersMatchHostHeaders) {
#if defined(__x86_64__)
  SyscallTable table(X86_64SyscallRows());
  ExpectHostNumbers(table, kCommonHostNumbers);
  ExpectHostNumbers(table, kX86_64OnlyHostNumbers);
  // Every row is in the lists above, so no row escapes the comparison.
  EXPECT_EQ(std::size(kCommonHostNumbers) + std::size(kX86_64OnlyHostNumbers), table.rows().size());
#else
  GTEST_SKIP() << "the host's <sys/syscall.h> has x86-64 numbers only on x86-64";
#endif
}

TEST(SyscallTableTest, AArch64NumbersMatchHostHeaders) {
#if defined(__aarch64__)
  SyscallTable table(AArch64SyscallRows());
  ExpectHostNumbers(table, kCommonHostNumbers);
  EXPECT_EQ(std::size(kCommonHostNumbers), table.rows().size());
#else
  GTEST_SKIP() << "the host's <sys/syscall.h> has AArch64 numbers only on "
                  "AArch64; AArch64WellKnownNumbers covers this host";
#endif
}

// Pinned from include/uapi/asm-generic/unistd.h so that the AArch64 table is
// checked on any host.
TEST(SyscallTableTest, AArch64WellKnownNumbers) {
  const std::pair<int, std::string_view> want[] = {
      {17, "getcwd"},
      {23, "dup"},
      {24, "dup3"},
      {25, "fcntl"},
      {29, "ioctl"},
      {35, "unlinkat"},
      {38, "renameat"},
      {48, "faccessat"},
      {49, "chdir"},
      {56, "openat"},
      {57, "close"},
      {59, "pipe2"},
      {61, "getdents64"},
      {62, "lseek"},
      {63, "read"},
      {64, "write"},
      {65, "readv"},
      {66, "writev"},
      {67, "pread64"},
      {72, "pselect6"},
      {73, "ppoll"},
      {78, "readlinkat"},
      {79, "newfstatat"},
      {80, "fstat"},
      {93, "exit"},
      {94, "exit_group"},
      {95, "waitid"},
      {96, "set_tid_address"},
      {98, "futex"},
      {99, "set_robust_list"},
      {101, "nanosleep"},
      {113, "clock_gettime"},
      {115, "clock_nanosleep"},
      {128, "restart_syscall"},
      {129, "kill"},
      {131, "tgkill"},
      {132, "sigaltstack"},
      {134, "rt_sigaction"},
      {135, "rt_sigprocmask"},
      {139, "rt_sigreturn"},
      {160, "uname"},
      {163, "getrlimit"},
      {167, "prctl"},
      {172, "getpid"},
      {178, "gettid"},
      {179, "sysinfo"},
      {198, "socket"},
      {203, "connect"},
      {212, "recvmsg"},
      {214, "brk"},
      {215, "munmap"},
      {216, "mremap"},
      {220, "clone"},
      {221, "execve"},
      {222, "mmap"},
      {226, "mprotect"},
      {233, "madvise"},
      {260, "wait4"},
      {261, "prlimit64"},
      {278, "getrandom"},
      {281, "execveat"},
      {288, "pkey_mprotect"},
      {289, "pkey_alloc"},
      {290, "pkey_free"},
      {291, "statx"},
      {293, "rseq"},
      {435, "clone3"},
      {436, "close_range"},
      {439, "faccessat2"},
  };
  SyscallTable table(AArch64SyscallRows());
  for (const auto& [nr, name] : want) {
    const SyscallInfo* row = table.Find(nr);
    ASSERT_NE(row, nullptr) << nr << " (" << name << ") has no row";
    EXPECT_EQ(row->name, name) << nr;
  }
}

TEST(SyscallTableTest, AArch64HasNoLegacyEntryPoints) {
  SyscallTable table(AArch64SyscallRows());
  for (std::string_view name :
       {"open", "stat", "lstat", "poll", "select", "pipe", "fork", "vfork", "dup2", "getdents",
        "mkdir", "unlink", "readlink", "arch_prctl", "time", "epoll_wait", "alarm", "pause"}) {
    EXPECT_EQ(table.FindByName(name), nullptr) << name;
  }
}

TEST(SyscallTableTest, NumbersAndNamesAreUnique) {
  for (const NamedTable& t : AllTables()) {
    std::set<int> numbers;
    std::set<std::string_view> names;
    for (const SyscallInfo& row : t.rows) {
      EXPECT_TRUE(numbers.insert(row.nr).second)
          << t.arch << ": number " << row.nr << " appears twice";
      EXPECT_TRUE(names.insert(row.name).second) << t.arch << ": " << row.name << " appears twice";
    }
  }
}

TEST(SyscallTableTest, RowsAreWellFormed) {
  for (const NamedTable& t : AllTables()) {
    for (const SyscallInfo& row : t.rows) {
      const std::string where = std::string(t.arch) + " " + std::string(row.name);
      EXPECT_GE(row.nr, 0) << where;
      EXPECT_FALSE(row.name.empty()) << where;
      EXPECT_EQ(row.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"),
                std::string_view::npos)
          << where;
      EXPECT_EQ(row.action == ReplayAction::kDeny, row.deny_errno != 0) << where;

      bool seen_unused = false;
      std::set<int> pointer_args;
      for (const OutParam& out : row.outs) {
        if (out.rule == SizeRule::kNone) {
          EXPECT_EQ(out.arg, -1) << where;
          seen_unused = true;
          continue;
        }
        // Used slots come first so a consumer may stop at the first kNone.
        EXPECT_FALSE(seen_unused) << where << ": gap in outs";
        EXPECT_GE(out.arg, 0) << where;
        EXPECT_LE(out.arg, 5) << where;
        EXPECT_TRUE(pointer_args.insert(out.arg).second)
            << where << ": argument " << int{out.arg} << " listed twice";
        const bool size_from_arg = out.rule == SizeRule::kArg || out.rule == SizeRule::kArgTimes ||
                                   out.rule == SizeRule::kArgPages ||
                                   out.rule == SizeRule::kDerefU32Arg ||
                                   out.rule == SizeRule::kCapVersion;
        if (size_from_arg) {
          EXPECT_GE(out.size_arg, 0) << where;
          EXPECT_LE(out.size_arg, 5) << where;
          EXPECT_NE(out.size_arg, out.arg) << where;
        } else {
          EXPECT_EQ(out.size_arg, -1) << where;
        }
        const bool needs_size = out.rule == SizeRule::kFixed || out.rule == SizeRule::kArgTimes ||
                                out.rule == SizeRule::kResultTimes ||
                                out.rule == SizeRule::kNulString ||
                                out.rule == SizeRule::kCapVersion;
        if (needs_size) {
          EXPECT_GT(out.size, 0u) << where;
        } else {
          EXPECT_EQ(out.size, 0u) << where;
        }
      }
      // A value-result length is itself written back by the kernel, so the
      // row records it too, and before the buffer it sizes is read.
      for (const OutParam& out : row.outs) {
        if (out.rule != SizeRule::kDerefU32Arg) continue;
        bool length_recorded = false;
        for (const OutParam& other : row.outs) {
          length_recorded |=
              other.arg == out.size_arg && other.rule == SizeRule::kFixed && other.size == 4;
        }
        EXPECT_TRUE(length_recorded) << where;
      }
    }
  }
}

TEST(SyscallTableTest, FindFindByNameAndNameOf) {
  SyscallTable table(X86_64SyscallRows());
  const SyscallInfo* read = table.Find(0);
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->name, "read");
  EXPECT_EQ(table.FindByName("read"), read);
  const SyscallInfo* mmap = table.FindByName("mmap");
  ASSERT_NE(mmap, nullptr);
  EXPECT_EQ(mmap->nr, 9);
  EXPECT_EQ(mmap->action, ReplayAction::kExecute);
  EXPECT_EQ(mmap->special, Special::kMmap);
  EXPECT_EQ(table.Find(425), nullptr);
  EXPECT_EQ(table.Find(-1), nullptr);
  EXPECT_EQ(table.Find(int64_t{1} << 40), nullptr);
  EXPECT_EQ(table.FindByName("io_uring_setup"), nullptr);
  EXPECT_EQ(table.FindByName(""), nullptr);
  EXPECT_EQ(table.NameOf(59), "execve");
  EXPECT_EQ(table.NameOf(425), "syscall_425");

  SyscallTable aarch64(AArch64SyscallRows());
  EXPECT_EQ(aarch64.NameOf(63), "read");
  EXPECT_EQ(aarch64.NameOf(221), "execve");
  EXPECT_EQ(aarch64.NameOf(2), "syscall_2");
  EXPECT_EQ(aarch64.FindByName("execve")->nr, 221);
}

}  // namespace
}  // namespace rwd::arch

namespace rwd::arch {
namespace {

// What the recorder does with a number: its row, the shared ENOSYS row for
// numbers the kernel does not implement, or a refusal (nullptr) for
// syscalls the kernel implements but rewind cannot record.
TEST(SyscallTableTest, LookupFailsUnimplementedNumbersAndRefusesTheRestByName) {
  const SyscallInfo* enosys = &UnimplementedSyscall();
  EXPECT_EQ(enosys->action, ReplayAction::kDeny);
  EXPECT_EQ(enosys->deny_errno, 38);

  SyscallTable x86(X86_64SyscallRows(), X86_64UnsupportedSyscallNames());
  EXPECT_EQ(x86.Lookup(0), x86.Find(0));
  EXPECT_EQ(x86.Lookup(-1), enosys);                // rr's test helpers do this
  EXPECT_EQ(x86.Lookup(335), enosys);               // a gap in the numbering
  EXPECT_EQ(x86.Lookup(int64_t{1} << 40), enosys);  // past every table
  EXPECT_EQ(x86.Lookup(183), enosys);               // afs_syscall, never implemented
  EXPECT_EQ(x86.NameOf(183), "afs_syscall");
  EXPECT_EQ(x86.Lookup(154), nullptr);  // modify_ldt
  EXPECT_EQ(x86.Lookup(425), nullptr);  // io_uring_setup
  EXPECT_EQ(x86.NameOf(425), "io_uring_setup");
  EXPECT_EQ(x86.Lookup(462), nullptr);  // mseal, newer than the 6.1 headers

  SyscallTable aarch64(AArch64SyscallRows(), AArch64UnsupportedSyscallNames());
  EXPECT_EQ(aarch64.Lookup(-1), enosys);
  EXPECT_EQ(aarch64.Lookup(403), enosys);  // clock_gettime64 exists for 32-bit only
  EXPECT_EQ(aarch64.Lookup(241), nullptr);
  EXPECT_EQ(aarch64.NameOf(241), "perf_event_open");
  EXPECT_EQ(aarch64.Lookup(0), nullptr);  // io_setup
  EXPECT_EQ(aarch64.Lookup(63)->name, "read");
}

// The unsupported-name lists never shadow a row.
TEST(SyscallTableTest, UnsupportedNamesHaveNoRow) {
  for (auto [rows, names] : {std::pair{X86_64SyscallRows(), X86_64UnsupportedSyscallNames()},
                             std::pair{AArch64SyscallRows(), AArch64UnsupportedSyscallNames()}}) {
    SyscallTable table(rows);
    for (const SyscallName& n : names) {
      EXPECT_EQ(table.Find(n.nr), nullptr) << n.name;
      EXPECT_EQ(table.FindByName(n.name), nullptr) << n.name;
    }
  }
}

}  // namespace
}  // namespace rwd::arch
