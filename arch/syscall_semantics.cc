// The syscall semantics of every architecture (see syscall_semantics.h).
// Sizes are LP64 layouts, the same on x86-64 and AArch64 (checked against the
// host's headers by tests/unit/arch_struct_sizes_test.cc); the structures
// that differ are Layouts, sized by each architecture's number map.
//
// What is deliberately missing (the recorder refuses it by name): io_uring,
// Linux AIO and SysV IPC (they share memory or a ring with the kernel, or
// have layouts chosen by a command), process_vm_writev/process_madvise/
// kcmp (they reach into other processes), bpf, perf_event_open,
// userfaultfd, memfd_secret, modify_ldt/iopl/ioperm and
// set/get_thread_area (per-process CPU state replay cannot reproduce), NUMA
// policy, keyrings, the new mount API, landlock, module and kexec
// loading, reboot, swap, quotas, syslog, file handles, vmsplice and the
// syscalls the kernel no longer implements.
#include "arch/syscall_semantics.h"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>

#include "arch/syscall_row_builders.h"
#include "base/check.h"

namespace rwd::arch {
namespace {

using rows::Args;
using rows::Deny;
using rows::Emulate;
using rows::Execute;
using rows::OutArg;
using rows::OutArgPages;
using rows::OutArgTimes;
using rows::OutCapData;
using rows::OutDerefU32;
using rows::OutFixed;
using rows::OutResult;
using rows::OutResultTimes;

// Sizes of what the kernel writes (LP64).
constexpr uint32_t kStatfs = 120;   // struct statfs (asm-generic's is the same)
constexpr uint32_t kStatx = 256;    // struct statx
constexpr uint32_t kRusage = 144;   // struct rusage
constexpr uint32_t kTimespec = 16;  // struct __kernel_timespec
constexpr uint32_t kTimeval = 16;   // struct timeval
constexpr uint32_t kTimezone = 8;   // struct timezone
constexpr uint32_t kTimeT = 8;      // time_t
constexpr uint32_t kSysinfo = 112;  // struct sysinfo
constexpr uint32_t kUtsname = 390;  // struct new_utsname
constexpr uint32_t kRlimit = 16;    // struct rlimit64
constexpr uint32_t kSiginfo = 128;  // siginfo_t
constexpr uint32_t kStackT = 24;    // stack_t
// handler, flags, restorer, mask; arm64 has sa_restorer too, because it
// defines SA_RESTORER for AArch32 compatibility.
constexpr uint32_t kKernelSigaction = 32;
constexpr uint32_t kPollfd = 8;       // struct pollfd
constexpr uint32_t kTms = 32;         // struct tms
constexpr uint32_t kItimerval = 32;   // struct itimerval
constexpr uint32_t kItimerspec = 32;  // struct __kernel_itimerspec
constexpr uint32_t kTimex = 208;      // struct __kernel_timex
constexpr uint32_t kSchedParam = 4;   // struct sched_param
// struct __user_cap_data_struct; capget writes one per 32 capabilities.
constexpr uint32_t kCapData = 12;
constexpr uint32_t kMmsghdr = 64;      // struct mmsghdr; sendmmsg sets msg_len
constexpr uint32_t kMqAttr = 64;       // struct mq_attr
constexpr uint32_t kKernelTimerT = 4;  // the kernel's timer_t is an int
constexpr uint32_t kU32 = 4;           // int, uid_t, gid_t, socklen_t
constexpr uint32_t kU64 = 8;           // loff_t, size_t, pointers
constexpr uint32_t kFdPair = 8;        // int[2] of pipe, pipe2 and socketpair
constexpr int kEperm = 1;              // asm-generic/errno-base.h
constexpr int kEnosys = 38;            // asm-generic/errno.h
constexpr int kEnospc = 28;            // asm-generic/errno-base.h
// <linux/sched.h> and the signal number of SIGCHLD, the same on both
// architectures: what fork and vfork do, as clone flags.
constexpr uint64_t kSigchld = 17;
constexpr uint64_t kCloneVm = 0x100;
constexpr uint64_t kCloneVfork = 0x4000;
constexpr uint64_t kForkFlags = kSigchld;
constexpr uint64_t kVforkFlags = kCloneVm | kCloneVfork | kSigchld;

constexpr auto kRows = std::to_array<SyscallInfo>({
    Emulate("read", Args(3).Blocks().Buffered(), OutResult(1)),
    Emulate("write", Args(3).Echoes(Echo::kBuffer).Blocks().Buffered()),
    Emulate("open", Args(3).Blocks()),
    Emulate("close", Args(1).Buffered()),
    Emulate("stat", Args(2).Buffered(), OutFixed(1, Layout::kStat)),
    Emulate("fstat", Args(2).Buffered(), OutFixed(1, Layout::kStat)),
    Emulate("lstat", Args(2).Buffered(), OutFixed(1, Layout::kStat)),
    Emulate("poll", Args(3).Blocks(), OutArgTimes(0, 1, kPollfd)),
    Emulate("lseek", Args(3).Buffered()),
    Execute("mmap", Args(6), Special::kMmap),
    Execute("mprotect", Args(3), Special::kMprotect),
    Execute("munmap", Args(2), Special::kMunmap),
    Execute("brk", Args(1), Special::kBrk),
    Execute("rt_sigaction", Args(4).BufferedQuery(1), Special::kRtSigaction, OutFixed(2, kKernelSigaction)),
    Execute("rt_sigprocmask", Args(4).BufferedQuery(1), OutArg(2, 3)),
    Execute("rt_sigreturn", Args(0), Special::kRtSigreturn),
    Emulate("ioctl", Args(3).Blocks().Buffered(), Special::kIoctl),
    Emulate("pread64", Args(4).Buffered(), OutResult(1)),
    Emulate("pwrite64", Args(4).Buffered()),
    Emulate("readv", Args(3).Blocks().Buffered(), Special::kReadv),
    Emulate("writev", Args(3).Echoes(Echo::kIovec).Blocks().Buffered()),
    Emulate("access", Args(2).Buffered()),
    Emulate("pipe", Args(1), OutFixed(0, kFdPair)),
    Emulate("select", Args(5).Blocks(), Special::kSelect, OutFixed(4, kTimeval)),
    Emulate("sched_yield", Args(0)),
    Execute("mremap", Args(5), Special::kMremap),
    // msync only moves bytes between a mapping and its file; the replayed
    // mapping is a private copy with nothing to flush.
    Emulate("msync", Args(3)),
    Emulate("mincore", Args(3), OutArgPages(2, 1)),
    // MADV_DONTNEED and friends change memory contents, so it must run.
    Execute("madvise", Args(3), Special::kMadvise),
    Emulate("dup", Args(1)),
    Emulate("dup2", Args(2)),
    Emulate("pause", Args(0).Blocks()),
    Emulate("nanosleep", Args(2).Blocks(), Special::kSleep, OutFixed(1, kTimespec)),
    Emulate("getitimer", Args(2), OutFixed(1, kItimerval)),
    Emulate("alarm", Args(1)),
    Emulate("setitimer", Args(3), OutFixed(2, kItimerval)),
    Emulate("getpid", Args(0).Buffered()),
    Emulate("sendfile", Args(4).Blocks(), OutFixed(2, kU64)),
    Emulate("socket", Args(3)),
    Emulate("connect", Args(3).Blocks()),
    Emulate("accept", Args(3).Blocks(), OutDerefU32(1, 2), OutFixed(2, kU32)),
    Emulate("sendto", Args(6).Blocks()),
    Emulate("recvfrom", Args(6).Blocks(), OutResult(1), OutDerefU32(4, 5), OutFixed(5, kU32)),
    Emulate("sendmsg", Args(3).Blocks()),
    Emulate("recvmsg", Args(3).Blocks(), Special::kRecvmsg),
    Emulate("shutdown", Args(2)),
    Emulate("bind", Args(3)),
    Emulate("listen", Args(2)),
    Emulate("getsockname", Args(3), OutDerefU32(1, 2), OutFixed(2, kU32)),
    Emulate("getpeername", Args(3), OutDerefU32(1, 2), OutFixed(2, kU32)),
    Emulate("socketpair", Args(4), OutFixed(3, kFdPair)),
    Emulate("setsockopt", Args(5)),
    Emulate("getsockopt", Args(5), OutDerefU32(3, 4), OutFixed(4, kU32)),
    Execute("clone", Args(5), Special::kClone),
    Execute("fork", Args(0).ImpliesCloneFlags(kForkFlags), Special::kClone),
    Execute("vfork", Args(0).Blocks().ImpliesCloneFlags(kVforkFlags), Special::kClone),
    Execute("execve", Args(3), Special::kExecve),
    Execute("exit", Args(1), Special::kExit),
    Emulate("wait4", Args(4).Blocks(), OutFixed(1, kU32), OutFixed(3, kRusage)),
    Emulate("kill", Args(2)),
    Emulate("uname", Args(1).Buffered(), OutFixed(0, kUtsname)),
    Emulate("fcntl", Args(3).Blocks(), Special::kFcntl),
    Emulate("flock", Args(2).Blocks()),
    Emulate("fsync", Args(1)),
    Emulate("fdatasync", Args(1)),
    Emulate("truncate", Args(2)),
    Emulate("ftruncate", Args(2)),
    Emulate("getdents", Args(3).Buffered(), OutResult(1)),
    // The syscall returns the length written, NUL included.
    Emulate("getcwd", Args(2).Buffered(), OutResult(0)),
    Emulate("chdir", Args(1)),
    Emulate("fchdir", Args(1)),
    Emulate("rename", Args(2).Buffered()),
    Emulate("mkdir", Args(2).Buffered()),
    Emulate("rmdir", Args(1)),
    Emulate("creat", Args(2).Blocks()),
    Emulate("link", Args(2)),
    Emulate("unlink", Args(1).Buffered()),
    Emulate("symlink", Args(2)),
    Emulate("readlink", Args(3).Buffered(), OutResult(1)),
    Emulate("chmod", Args(2)),
    Emulate("fchmod", Args(2)),
    Emulate("chown", Args(3)),
    Emulate("fchown", Args(3)),
    Emulate("lchown", Args(3)),
    Emulate("umask", Args(1)),
    Emulate("gettimeofday", Args(2).Buffered(), OutFixed(0, kTimeval), OutFixed(1, kTimezone)),
    Emulate("getrlimit", Args(2), OutFixed(1, kRlimit)),
    Emulate("getrusage", Args(2).Buffered(), OutFixed(1, kRusage)),
    Emulate("sysinfo", Args(1), OutFixed(0, kSysinfo)),
    Emulate("times", Args(1).Buffered(), OutFixed(0, kTms)),
    // Fails as for any program run under a tracer (the recorder is one):
    // PTRACE_TRACEME and attaching to the recorded tree's tasks get EPERM
    // from the kernel too, and tracing from the recorded tree is not
    // recordable. The recorder notes why.
    Deny("ptrace", Args(4), kEperm, Special::kPtrace),
    Emulate("getuid", Args(0).Buffered()),
    Emulate("getgid", Args(0).Buffered()),
    Emulate("setuid", Args(1)),
    Emulate("setgid", Args(1)),
    Emulate("geteuid", Args(0).Buffered()),
    Emulate("getegid", Args(0).Buffered()),
    Emulate("setpgid", Args(2)),
    Emulate("getppid", Args(0).Buffered()),
    Emulate("getpgrp", Args(0).Buffered()),
    Emulate("setsid", Args(0)),
    Emulate("setreuid", Args(2)),
    Emulate("setregid", Args(2)),
    // Bounded by the caller's array (arg 0 entries); getgroups(0, NULL)
    // writes nothing and returns the count.
    Emulate("getgroups", Args(2), OutArgTimes(1, 0, kU32)),
    Emulate("setgroups", Args(2)),
    Emulate("setresuid", Args(3)),
    Emulate("getresuid", Args(3).Buffered(), OutFixed(0, kU32), OutFixed(1, kU32),
            OutFixed(2, kU32)),
    Emulate("setresgid", Args(3)),
    Emulate("getresgid", Args(3).Buffered(), OutFixed(0, kU32), OutFixed(1, kU32),
            OutFixed(2, kU32)),
    Emulate("getpgid", Args(1).Buffered()),
    Emulate("setfsuid", Args(1)),
    Emulate("setfsgid", Args(1)),
    Emulate("getsid", Args(1).Buffered()),
    Emulate("capget", Args(2), Special::kCapget, OutCapData(1, 0, kCapData)),
    Emulate("capset", Args(2)),
    Emulate("rt_sigpending", Args(2), OutArg(0, 1)),
    Emulate("rt_sigtimedwait", Args(4).Blocks(), OutFixed(1, kSiginfo)),
    Emulate("rt_sigqueueinfo", Args(3)),
    Emulate("rt_sigsuspend", Args(2).Blocks().MaskedWait(0)),
    Execute("sigaltstack", Args(2), OutFixed(1, kStackT)),
    Emulate("utime", Args(2)),
    Emulate("mknod", Args(3)),
    // Runs so that the replayed process gets the recorded execution domain
    // (ADDR_NO_RANDOMIZE shapes the address space of the next execve).
    Execute("personality", Args(1)),
    Emulate("statfs", Args(2).Buffered(), OutFixed(1, kStatfs)),
    Emulate("fstatfs", Args(2).Buffered(), OutFixed(1, kStatfs)),
    Emulate("getpriority", Args(2)),
    Emulate("setpriority", Args(3)),
    Emulate("sched_setparam", Args(2)),
    Emulate("sched_getparam", Args(2), OutFixed(1, kSchedParam)),
    Emulate("sched_setscheduler", Args(3)),
    Emulate("sched_getscheduler", Args(1)),
    Emulate("sched_get_priority_max", Args(1)),
    Emulate("sched_get_priority_min", Args(1)),
    Emulate("sched_rr_get_interval", Args(2), OutFixed(1, kTimespec)),
    // Locked pages change what later calls do (MADV_DONTNEED fails with
    // EINVAL on them, after clearing the pages before them): replay locks
    // the same ranges. mlockall stays emulated: in replay it would also lock
    // rewind's own mappings, and fail where the recording did not.
    Execute("mlock", Args(2)),
    Execute("munlock", Args(2)),
    Emulate("mlockall", Args(1)),
    Execute("munlockall", Args(0)),
    Emulate("prctl", Args(5), Special::kPrctl),
    Execute("arch_prctl", Args(2), Special::kArchPrctl),
    Emulate("adjtimex", Args(1), OutFixed(0, kTimex)),
    Emulate("setrlimit", Args(2), Special::kSetRlimit),
    Emulate("chroot", Args(1)),
    Emulate("sync", Args(0)),
    // Turns process accounting on or off (root only): a file side effect
    // of the recording, whose result replay returns.
    Emulate("acct", Args(1)),
    Emulate("settimeofday", Args(2)),
    Emulate("mount", Args(5)),
    Emulate("umount2", Args(2)),
    Emulate("sethostname", Args(2)),
    Emulate("setdomainname", Args(2)),
    Emulate("gettid", Args(0).Buffered()),
    Emulate("readahead", Args(3)),
    Emulate("setxattr", Args(5)),
    Emulate("lsetxattr", Args(5)),
    Emulate("fsetxattr", Args(5)),
    Emulate("getxattr", Args(4).Buffered(), OutResult(2)),
    Emulate("lgetxattr", Args(4).Buffered(), OutResult(2)),
    Emulate("fgetxattr", Args(4).Buffered(), OutResult(2)),
    Emulate("listxattr", Args(3).Buffered(), OutResult(1)),
    Emulate("llistxattr", Args(3).Buffered(), OutResult(1)),
    Emulate("flistxattr", Args(3).Buffered(), OutResult(1)),
    Emulate("removexattr", Args(2)),
    Emulate("lremovexattr", Args(2)),
    Emulate("fremovexattr", Args(2)),
    Emulate("tkill", Args(2)),
    Emulate("time", Args(1).Buffered(), OutFixed(0, kTimeT)),
    Emulate("futex", Args(6).Blocks().Buffered(), Special::kFutex),  // its wakes: BufferableCall
    Emulate("sched_setaffinity", Args(3)),
    // Returns the number of bytes of the mask it wrote.
    Emulate("sched_getaffinity", Args(3), OutResult(2)),
    Emulate("epoll_create", Args(1)),
    Emulate("getdents64", Args(3).Buffered(), OutResult(1)),
    Execute("set_tid_address", Args(1), Special::kSetTidAddress),
    // restart_syscall continues a sleep, poll or futex wait that a signal
    // handler interrupted. It is emulated with the result alone: the
    // remaining time a sleep interrupted again writes, and a poll's revents,
    // are not recorded for it.
    Emulate("restart_syscall", Args(0).Blocks()),
    Emulate("fadvise64", Args(4)),
    Emulate("timer_create", Args(3), OutFixed(2, kKernelTimerT)),
    Emulate("timer_settime", Args(4), OutFixed(3, kItimerspec)),
    Emulate("timer_gettime", Args(2), OutFixed(1, kItimerspec)),
    Emulate("timer_getoverrun", Args(1)),
    Emulate("timer_delete", Args(1)),
    Emulate("clock_settime", Args(2)),
    Emulate("clock_gettime", Args(2).Buffered(), OutFixed(1, kTimespec)),
    Emulate("clock_getres", Args(2).Buffered(), OutFixed(1, kTimespec)),
    Emulate("clock_nanosleep", Args(4).Blocks(), Special::kSleep, OutFixed(3, kTimespec)),
    Execute("exit_group", Args(1), Special::kExitGroup),
    Emulate("epoll_wait", Args(4).Blocks(), OutResultTimes(1, Layout::kEpollEvent)),
    Emulate("epoll_ctl", Args(4)),
    Emulate("tgkill", Args(3)),
    Emulate("utimes", Args(2)),
    Emulate("mq_open", Args(4)),
    Emulate("mq_unlink", Args(1)),
    Emulate("mq_timedsend", Args(5).Blocks()),
    Emulate("mq_timedreceive", Args(5).Blocks(), OutResult(1), OutFixed(3, kU32)),
    Emulate("mq_notify", Args(2)),
    Emulate("mq_getsetattr", Args(3), OutFixed(2, kMqAttr)),
    Emulate("waitid", Args(5).Blocks(), OutFixed(2, kSiginfo), OutFixed(4, kRusage)),
    Emulate("ioprio_set", Args(3)),
    Emulate("ioprio_get", Args(2)),
    Emulate("inotify_init", Args(0)),
    Emulate("inotify_add_watch", Args(3)),
    Emulate("inotify_rm_watch", Args(2)),
    Emulate("openat", Args(4).Blocks().Buffered().AtDirfd()),
    Emulate("mkdirat", Args(3).Buffered().AtDirfd()),
    Emulate("mknodat", Args(4).AtDirfd()),
    Emulate("fchownat", Args(5).AtDirfd()),
    Emulate("futimesat", Args(3).AtDirfd()),
    Emulate("newfstatat", Args(4).Buffered().AtDirfd(), OutFixed(2, Layout::kStat)),
    Emulate("unlinkat", Args(3).Buffered().AtDirfd()),
    Emulate("renameat", Args(4).Buffered().AtDirfd()),
    Emulate("linkat", Args(5).AtDirfd()),
    Emulate("symlinkat", Args(3)),
    Emulate("readlinkat", Args(4).Buffered().AtDirfd(), OutResult(2)),
    Emulate("fchmodat", Args(3).AtDirfd()),
    Emulate("faccessat", Args(3).Buffered().AtDirfd()),
    Emulate("pselect6", Args(6).Blocks().MaskedWaitIndirect(5), Special::kSelect,
            OutFixed(4, kTimespec)),
    Emulate("ppoll", Args(5).Blocks().MaskedWait(3), OutArgTimes(0, 1, kPollfd),
            OutFixed(2, kTimespec)),
    Execute("set_robust_list", Args(2)),
    Emulate("get_robust_list", Args(3), OutFixed(1, kU64), OutFixed(2, kU64)),
    Emulate("splice", Args(6).Blocks(), OutFixed(1, kU64), OutFixed(3, kU64)),
    Emulate("tee", Args(4).Blocks()),
    Emulate("sync_file_range", Args(4)),
    Emulate("utimensat", Args(4).AtDirfd()),
    Emulate("epoll_pwait", Args(6).Blocks().MaskedWait(4), OutResultTimes(1, Layout::kEpollEvent)),
    Emulate("signalfd", Args(3)),
    Emulate("timerfd_create", Args(2)),
    Emulate("eventfd", Args(1)),
    Emulate("fallocate", Args(4)),
    Emulate("timerfd_settime", Args(4), OutFixed(3, kItimerspec)),
    Emulate("timerfd_gettime", Args(2), OutFixed(1, kItimerspec)),
    Emulate("accept4", Args(4).Blocks(), OutDerefU32(1, 2), OutFixed(2, kU32)),
    Emulate("signalfd4", Args(4)),
    Emulate("eventfd2", Args(2)),
    Emulate("epoll_create1", Args(1)),
    Emulate("dup3", Args(3)),
    Emulate("pipe2", Args(2), OutFixed(0, kFdPair)),
    Emulate("inotify_init1", Args(1)),
    Emulate("preadv", Args(5).Buffered(), Special::kReadv),
    Emulate("pwritev", Args(5).Buffered()),
    Emulate("rt_tgsigqueueinfo", Args(4)),
    // The Special records the mmsghdr array; the timeout is written back
    // only when the call succeeds.
    Emulate("recvmmsg", Args(5).Blocks(), Special::kRecvmmsg, OutFixed(4, kTimespec)),
    Emulate("fanotify_init", Args(2)),
    Emulate("fanotify_mark", Args(5)),
    Emulate("prlimit64", Args(4), Special::kPrlimit, OutFixed(3, kRlimit)),
    Emulate("clock_adjtime", Args(2), OutFixed(1, kTimex)),
    Emulate("syncfs", Args(1)),
    // The kernel stores msg_len into each of the `result` entries it sent.
    Emulate("sendmmsg", Args(4).Blocks(), OutResultTimes(1, kMmsghdr)),
    Emulate("getcpu", Args(3).Buffered(), OutFixed(0, kU32), OutFixed(1, kU32)),
    Emulate("sched_setattr", Args(3)),
    Emulate("sched_getattr", Args(4), OutArg(1, 2)),
    Emulate("renameat2", Args(5).Buffered().AtDirfd()),
    // Runs when recorded, so the program's own filter judges its syscalls
    // there; their results (errno answers, SIGSYS, kills) are recorded like
    // any other. Replay emulates it: a filter in the replayed process would
    // judge replay's own injected syscalls, and PTRACE_SYSEMU skips seccomp.
    Emulate("seccomp", Args(3), Special::kSeccomp),
    Emulate("getrandom", Args(3).Blocks(), OutResult(0)),
    Emulate("memfd_create", Args(2)),
    Execute("execveat", Args(5).AtDirfd(), Special::kExecve),
    Emulate("membarrier", Args(3)),
    Execute("mlock2", Args(3)),
    Emulate("copy_file_range", Args(6), OutFixed(1, kU64), OutFixed(3, kU64)),
    Emulate("preadv2", Args(6).Buffered(), Special::kReadv),
    Emulate("pwritev2", Args(6).Buffered()),
    // Protection keys: no key is ever handed out (ENOSPC, as on a CPU
    // without them, or with every key taken), so no page or thread state
    // depends on one and replay runs anywhere. Without a key the other two
    // work as the kernel's own on key 0 or -1, for real in replay as well.
    Execute("pkey_mprotect", Args(4), Special::kMprotect),
    Deny("pkey_alloc", Args(2), kEnospc, Special::kNone),
    Execute("pkey_free", Args(1)),
    Emulate("statx", Args(5).Buffered().AtDirfd(), OutFixed(4, kStatx)),
    // Denied so that glibc does not share the CPU number with the kernel: a
    // registered rseq area would be written by the kernel on every preemption.
    Deny("rseq", Args(4), kEnosys, Special::kNone),
    Emulate("pidfd_send_signal", Args(4)),
    Emulate("pidfd_open", Args(2)),
    // Namespaces change what the recorded program sees, which the trace
    // holds; replay stays in the replayer's (a new user namespace would
    // even deny it the trace's private copies), as it does for clone's
    // CLONE_NEW* flags.
    Emulate("unshare", Args(1)),
    Emulate("setns", Args(2)),
    // Another process's descriptor, copied into this one: a descriptor like
    // dup's, emulated as the others are.
    Emulate("pidfd_getfd", Args(3)),
    // Reads another process's memory into the local iovecs (arguments 1
    // and 2, as readv's): what it read is recorded. Its sibling
    // process_vm_writev changes another process, which replay cannot redo.
    Emulate("process_vm_readv", Args(6), Special::kReadv),
    // glibc falls back to clone, whose flat arguments replay can rewrite.
    Deny("clone3", Args(2), kEnosys, Special::kNone),
    Emulate("close_range", Args(3)),
    Emulate("openat2", Args(4).Blocks().AtDirfd()),
    Emulate("faccessat2", Args(4).Buffered().AtDirfd()),
    Emulate("fchmodat2", Args(4).AtDirfd()),
    Emulate("epoll_pwait2", Args(6).Blocks().MaskedWait(4), OutResultTimes(1, Layout::kEpollEvent)),
    Emulate("futex_waitv", Args(5).Blocks()),
});

uint32_t SizeOf(Layout layout, const StructLayouts& layouts) {
  switch (layout) {
    case Layout::kStat:
      return layouts.stat;
    case Layout::kEpollEvent:
      return layouts.epoll_event;
    case Layout::kNone:
      break;
  }
  return 0;
}

// From pidfd_send_signal (424, Linux 5.1) on, every architecture numbers
// new syscalls alike; these follow each architecture's own numbers.
constexpr auto kUnifiedNumbers = std::to_array<SyscallNumber>({
    {424, "pidfd_send_signal"},
    {425, "io_uring_setup"},
    {426, "io_uring_enter"},
    {427, "io_uring_register"},
    {428, "open_tree"},
    {429, "move_mount"},
    {430, "fsopen"},
    {431, "fsconfig"},
    {432, "fsmount"},
    {433, "fspick"},
    {434, "pidfd_open"},
    {435, "clone3"},
    {436, "close_range"},
    {437, "openat2"},
    {438, "pidfd_getfd"},
    {439, "faccessat2"},
    {440, "process_madvise"},
    {441, "epoll_pwait2"},
    {442, "mount_setattr"},
    {443, "quotactl_fd"},
    {444, "landlock_create_ruleset"},
    {445, "landlock_add_rule"},
    {446, "landlock_restrict_self"},
    {447, "memfd_secret"},
    {448, "process_mrelease"},
    {449, "futex_waitv"},
    {450, "set_mempolicy_home_node"},
    {451, "cachestat"},
    {452, "fchmodat2"},
    {453, "map_shadow_stack"},
    {454, "futex_wake"},
    {455, "futex_wait"},
    {456, "futex_requeue"},
    {457, "statmount"},
    {458, "listmount"},
    {459, "lsm_get_self_attr"},
    {460, "lsm_set_self_attr"},
    {461, "lsm_list_modules"},
    {462, "mseal"},
    {463, "setxattrat"},
    {464, "getxattrat"},
    {465, "listxattrat"},
    {466, "removexattrat"},
    {467, "open_tree_attr"},
    {468, "file_getattr"},
    {469, "file_setattr"},
});

// Syscalls the kernel implements that rewind refuses to record: no row, so
// the recorder's refusal can still name them.
constexpr std::string_view kRefused[] = {"add_key",
                                         "bpf",
                                         "cachestat",
                                         "delete_module",
                                         "file_getattr",
                                         "file_setattr",
                                         "finit_module",
                                         "fsconfig",
                                         "fsmount",
                                         "fsopen",
                                         "fspick",
                                         "futex_requeue",
                                         "futex_wait",
                                         "futex_wake",
                                         "get_mempolicy",
                                         "get_thread_area",
                                         "getxattrat",
                                         "init_module",
                                         "io_cancel",
                                         "io_destroy",
                                         "io_getevents",
                                         "io_pgetevents",
                                         "io_setup",
                                         "io_submit",
                                         "io_uring_enter",
                                         "io_uring_register",
                                         "io_uring_setup",
                                         "ioperm",
                                         "iopl",
                                         "kcmp",
                                         "kexec_file_load",
                                         "kexec_load",
                                         "keyctl",
                                         "landlock_add_rule",
                                         "landlock_create_ruleset",
                                         "landlock_restrict_self",
                                         "listmount",
                                         "listxattrat",
                                         "lsm_get_self_attr",
                                         "lsm_list_modules",
                                         "lsm_set_self_attr",
                                         "map_shadow_stack",
                                         "mbind",
                                         "memfd_secret",
                                         "migrate_pages",
                                         "modify_ldt",
                                         "mount_setattr",
                                         "move_mount",
                                         "move_pages",
                                         "mseal",
                                         "msgctl",
                                         "msgget",
                                         "msgrcv",
                                         "msgsnd",
                                         "name_to_handle_at",
                                         "open_by_handle_at",
                                         "open_tree",
                                         "open_tree_attr",
                                         "perf_event_open",
                                         "pivot_root",
                                         "process_madvise",
                                         "process_mrelease",
                                         "process_vm_writev",
                                         "quotactl",
                                         "quotactl_fd",
                                         "reboot",
                                         "remap_file_pages",
                                         "removexattrat",
                                         "request_key",
                                         "semctl",
                                         "semget",
                                         "semop",
                                         "semtimedop",
                                         "set_mempolicy",
                                         "set_mempolicy_home_node",
                                         "set_thread_area",
                                         "setxattrat",
                                         "shmat",
                                         "shmctl",
                                         "shmdt",
                                         "shmget",
                                         "statmount",
                                         "swapoff",
                                         "swapon",
                                         "sysfs",
                                         "syslog",
                                         "uselib",
                                         "userfaultfd",
                                         "ustat",
                                         "vhangup",
                                         "vmsplice"};

// Syscalls the kernel no longer implements (or never did): no row either,
// but not refused; they fail with ENOSYS, as natively.
constexpr std::string_view kRetired[] = {
    "_sysctl",         "afs_syscall", "create_module",  "epoll_ctl_old", "epoll_wait_old",
    "get_kernel_syms", "getpmsg",     "lookup_dcookie", "nfsservctl",    "putpmsg",
    "query_module",    "security",    "tuxcall",        "vserver"};

bool Listed(std::span<const std::string_view> names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::span<const SyscallInfo> SyscallSemantics() { return kRows; }

const SyscallInfo* SemanticsOf(std::string_view name) {
  static const auto* const kByName = [] {
    auto* map = new std::unordered_map<std::string_view, const SyscallInfo*>;
    for (const SyscallInfo& row : kRows) map->emplace(row.name, &row);
    return map;
  }();
  auto it = kByName->find(name);
  return it == kByName->end() ? nullptr : it->second;
}

NumberedSyscalls NumberSyscalls(std::span<const SyscallNumber> numbers,
                                const StructLayouts& layouts) {
  NumberedSyscalls out;
  out.rows.reserve(numbers.size() + kUnifiedNumbers.size());
  for (std::span<const SyscallNumber> part :
       {numbers, std::span<const SyscallNumber>(kUnifiedNumbers)}) {
    for (const SyscallNumber& n : part) {
      const SyscallInfo* semantics = SemanticsOf(n.name);
      if (!semantics) {
        const bool retired = Listed(kRetired, n.name);
        CHECK(retired || Listed(kRefused, n.name),
              "syscall " + std::to_string(n.nr) + " '" + std::string(n.name) +
                  "' has no semantics row and is neither refused nor retired");
        out.refused.push_back(SyscallName{n.nr, n.name, retired});
        continue;
      }
      SyscallInfo row = *semantics;
      row.nr = n.nr;
      for (OutParam& o : row.outs) {
        if (o.layout != Layout::kNone) o.size = SizeOf(o.layout, layouts);
      }
      out.rows.push_back(row);
    }
  }
  return out;
}

}  // namespace rwd::arch
