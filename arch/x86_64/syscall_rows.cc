// The x86-64 syscall table. Numbers are those of
// arch/x86/entry/syscalls/syscall_64.tbl (<asm/unistd_64.h>); sizes are the
// x86-64 layouts of what the kernel copies out, which
// tests/unit/arch_struct_sizes_test.cc checks against the host's headers.
//
// What is deliberately missing (the recorder refuses it by name): io_uring,
// Linux AIO and SysV IPC (they share memory or a ring with the kernel, or
// have layouts chosen by a command), process_vm_*/process_madvise/
// kcmp (they reach into other processes), bpf, perf_event_open,
// userfaultfd, memfd_secret, modify_ldt/iopl/ioperm and
// set/get_thread_area (per-process CPU state replay cannot reproduce), NUMA
// policy, keyrings, namespaces, the new mount API, landlock, module and kexec
// loading, reboot, swap, quotas, syslog, file handles, vmsplice and the
// syscalls the kernel no longer implements.
#include "arch/x86_64/syscall_rows.h"

#include <array>

#include "arch/syscall_row_builders.h"

namespace rwd::arch {
namespace {

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

// Sizes of what the kernel writes, x86-64 layout.
constexpr uint32_t kStat = 144;            // struct stat
constexpr uint32_t kStatfs = 120;          // struct statfs
constexpr uint32_t kStatx = 256;           // struct statx
constexpr uint32_t kRusage = 144;          // struct rusage
constexpr uint32_t kTimespec = 16;         // struct __kernel_timespec
constexpr uint32_t kTimeval = 16;          // struct timeval
constexpr uint32_t kTimezone = 8;          // struct timezone
constexpr uint32_t kTimeT = 8;             // time_t
constexpr uint32_t kSysinfo = 112;         // struct sysinfo
constexpr uint32_t kUtsname = 390;         // struct new_utsname
constexpr uint32_t kRlimit = 16;           // struct rlimit64
constexpr uint32_t kSiginfo = 128;         // siginfo_t
constexpr uint32_t kStackT = 24;           // stack_t
constexpr uint32_t kKernelSigaction = 32;  // handler, flags, restorer, mask
constexpr uint32_t kPollfd = 8;            // struct pollfd
constexpr uint32_t kEpollEvent = 12;       // struct epoll_event, packed here
constexpr uint32_t kTms = 32;              // struct tms
constexpr uint32_t kItimerval = 32;        // struct itimerval
constexpr uint32_t kItimerspec = 32;       // struct __kernel_itimerspec
constexpr uint32_t kTimex = 208;           // struct __kernel_timex
constexpr uint32_t kSchedParam = 4;        // struct sched_param
// struct __user_cap_data_struct; capget writes one per 32 capabilities.
constexpr uint32_t kCapData = 12;
constexpr uint32_t kMmsghdr = 64;      // struct mmsghdr; sendmmsg sets msg_len
constexpr uint32_t kMqAttr = 64;       // struct mq_attr
constexpr uint32_t kKernelTimerT = 4;  // the kernel's timer_t is an int
constexpr uint32_t kU32 = 4;           // int, uid_t, gid_t, socklen_t
constexpr uint32_t kU64 = 8;           // loff_t, size_t, pointers
constexpr uint32_t kFdPair = 8;        // int[2] of pipe and socketpair
constexpr int kEperm = 1;              // asm-generic/errno-base.h
constexpr int kEnosys = 38;            // asm-generic/errno.h
constexpr int kEnospc = 28;            // asm-generic/errno-base.h

constexpr auto kRows = std::to_array<SyscallInfo>({
    Emulate(0, "read", OutResult(1)),
    Emulate(1, "write"),
    Emulate(2, "open"),
    Emulate(3, "close"),
    Emulate(4, "stat", OutFixed(1, kStat)),
    Emulate(5, "fstat", OutFixed(1, kStat)),
    Emulate(6, "lstat", OutFixed(1, kStat)),
    Emulate(7, "poll", Special::kPoll, OutArgTimes(0, 1, kPollfd)),
    Emulate(8, "lseek"),
    Execute(9, "mmap", Special::kMmap),
    Execute(10, "mprotect", Special::kMprotect),
    Execute(11, "munmap", Special::kMunmap),
    Execute(12, "brk", Special::kBrk),
    Execute(13, "rt_sigaction", Special::kSigaction, OutFixed(2, kKernelSigaction)),
    Execute(14, "rt_sigprocmask", OutArg(2, 3)),
    Execute(15, "rt_sigreturn", Special::kRtSigreturn),
    Emulate(16, "ioctl", Special::kIoctl),
    Emulate(17, "pread64", OutResult(1)),
    Emulate(18, "pwrite64"),
    Emulate(19, "readv", Special::kReadv),
    Emulate(20, "writev"),
    Emulate(21, "access"),
    Emulate(22, "pipe", OutFixed(0, kFdPair)),
    Emulate(23, "select", Special::kSelect, OutFixed(4, kTimeval)),
    Emulate(24, "sched_yield"),
    Execute(25, "mremap", Special::kMremap),
    // msync only moves bytes between a mapping and its file; the replayed
    // mapping is a private copy with nothing to flush.
    Emulate(26, "msync"),
    Emulate(27, "mincore", OutArgPages(2, 1)),
    // MADV_DONTNEED and friends change memory contents, so it must run.
    Execute(28, "madvise"),
    Emulate(32, "dup"),
    Emulate(33, "dup2"),
    Emulate(34, "pause"),
    Emulate(35, "nanosleep", Special::kSleep, OutFixed(1, kTimespec)),
    Emulate(36, "getitimer", OutFixed(1, kItimerval)),
    Emulate(37, "alarm"),
    Emulate(38, "setitimer", OutFixed(2, kItimerval)),
    Emulate(39, "getpid"),
    Emulate(40, "sendfile", OutFixed(2, kU64)),
    Emulate(41, "socket"),
    Emulate(42, "connect"),
    Emulate(43, "accept", OutDerefU32(1, 2), OutFixed(2, kU32)),
    Emulate(44, "sendto"),
    Emulate(45, "recvfrom", OutResult(1), OutDerefU32(4, 5), OutFixed(5, kU32)),
    Emulate(46, "sendmsg"),
    Emulate(47, "recvmsg", Special::kRecvmsg),
    Emulate(48, "shutdown"),
    Emulate(49, "bind"),
    Emulate(50, "listen"),
    Emulate(51, "getsockname", OutDerefU32(1, 2), OutFixed(2, kU32)),
    Emulate(52, "getpeername", OutDerefU32(1, 2), OutFixed(2, kU32)),
    Emulate(53, "socketpair", OutFixed(3, kFdPair)),
    Emulate(54, "setsockopt"),
    Emulate(55, "getsockopt", OutDerefU32(3, 4), OutFixed(4, kU32)),
    Execute(56, "clone", Special::kClone),
    Execute(57, "fork", Special::kClone),
    Execute(58, "vfork", Special::kClone),
    Execute(59, "execve", Special::kExecve),
    Execute(60, "exit", Special::kExit),
    Emulate(61, "wait4", Special::kWait, OutFixed(1, kU32), OutFixed(3, kRusage)),
    Emulate(62, "kill"),
    Emulate(63, "uname", OutFixed(0, kUtsname)),
    Emulate(72, "fcntl", Special::kFcntl),
    Emulate(73, "flock"),
    Emulate(74, "fsync"),
    Emulate(75, "fdatasync"),
    Emulate(76, "truncate"),
    Emulate(77, "ftruncate"),
    Emulate(78, "getdents", OutResult(1)),
    // The syscall returns the length written, NUL included.
    Emulate(79, "getcwd", OutResult(0)),
    Emulate(80, "chdir"),
    Emulate(81, "fchdir"),
    Emulate(82, "rename"),
    Emulate(83, "mkdir"),
    Emulate(84, "rmdir"),
    Emulate(85, "creat"),
    Emulate(86, "link"),
    Emulate(87, "unlink"),
    Emulate(88, "symlink"),
    Emulate(89, "readlink", OutResult(1)),
    Emulate(90, "chmod"),
    Emulate(91, "fchmod"),
    Emulate(92, "chown"),
    Emulate(93, "fchown"),
    Emulate(94, "lchown"),
    Emulate(95, "umask"),
    Emulate(96, "gettimeofday", OutFixed(0, kTimeval), OutFixed(1, kTimezone)),
    Emulate(97, "getrlimit", OutFixed(1, kRlimit)),
    Emulate(98, "getrusage", OutFixed(1, kRusage)),
    Emulate(99, "sysinfo", OutFixed(0, kSysinfo)),
    Emulate(100, "times", OutFixed(0, kTms)),
    // Fails as for any program run under a tracer (the recorder is one):
    // PTRACE_TRACEME and attaching to the recorded tree's tasks get EPERM
    // from the kernel too, and tracing from the recorded tree is not
    // recordable. The recorder notes why.
    Deny(101, "ptrace", kEperm, Special::kNone),
    Emulate(102, "getuid"),
    Emulate(104, "getgid"),
    Emulate(105, "setuid"),
    Emulate(106, "setgid"),
    Emulate(107, "geteuid"),
    Emulate(108, "getegid"),
    Emulate(109, "setpgid"),
    Emulate(110, "getppid"),
    Emulate(111, "getpgrp"),
    Emulate(112, "setsid"),
    Emulate(113, "setreuid"),
    Emulate(114, "setregid"),
    // Bounded by the caller's array (arg 0 entries); getgroups(0, NULL)
    // writes nothing and returns the count.
    Emulate(115, "getgroups", OutArgTimes(1, 0, kU32)),
    Emulate(116, "setgroups"),
    Emulate(117, "setresuid"),
    Emulate(118, "getresuid", OutFixed(0, kU32), OutFixed(1, kU32), OutFixed(2, kU32)),
    Emulate(119, "setresgid"),
    Emulate(120, "getresgid", OutFixed(0, kU32), OutFixed(1, kU32), OutFixed(2, kU32)),
    Emulate(121, "getpgid"),
    Emulate(122, "setfsuid"),
    Emulate(123, "setfsgid"),
    Emulate(124, "getsid"),
    Emulate(125, "capget", Special::kCapget, OutCapData(1, 0, kCapData)),
    Emulate(126, "capset"),
    Emulate(127, "rt_sigpending", OutArg(0, 1)),
    Emulate(128, "rt_sigtimedwait", OutFixed(1, kSiginfo)),
    Emulate(129, "rt_sigqueueinfo"),
    Emulate(130, "rt_sigsuspend"),
    Execute(131, "sigaltstack", OutFixed(1, kStackT)),
    Emulate(132, "utime"),
    Emulate(133, "mknod"),
    // Runs so that the replayed process gets the recorded execution domain
    // (ADDR_NO_RANDOMIZE shapes the address space of the next execve).
    Execute(135, "personality"),
    Emulate(137, "statfs", OutFixed(1, kStatfs)),
    Emulate(138, "fstatfs", OutFixed(1, kStatfs)),
    Emulate(140, "getpriority"),
    Emulate(141, "setpriority"),
    Emulate(142, "sched_setparam"),
    Emulate(143, "sched_getparam", OutFixed(1, kSchedParam)),
    Emulate(144, "sched_setscheduler"),
    Emulate(145, "sched_getscheduler"),
    Emulate(146, "sched_get_priority_max"),
    Emulate(147, "sched_get_priority_min"),
    Emulate(148, "sched_rr_get_interval", OutFixed(1, kTimespec)),
    Emulate(149, "mlock"),
    Emulate(150, "munlock"),
    Emulate(151, "mlockall"),
    Emulate(152, "munlockall"),
    Emulate(157, "prctl", Special::kPrctl),
    Execute(158, "arch_prctl", Special::kArchPrctl),
    Emulate(159, "adjtimex", OutFixed(0, kTimex)),
    Emulate(160, "setrlimit"),
    Emulate(161, "chroot"),
    Emulate(162, "sync"),
    Emulate(164, "settimeofday"),
    Emulate(165, "mount"),
    Emulate(166, "umount2"),
    Emulate(170, "sethostname"),
    Emulate(171, "setdomainname"),
    Emulate(186, "gettid"),
    Emulate(187, "readahead"),
    Emulate(188, "setxattr"),
    Emulate(189, "lsetxattr"),
    Emulate(190, "fsetxattr"),
    Emulate(191, "getxattr", OutResult(2)),
    Emulate(192, "lgetxattr", OutResult(2)),
    Emulate(193, "fgetxattr", OutResult(2)),
    Emulate(194, "listxattr", OutResult(1)),
    Emulate(195, "llistxattr", OutResult(1)),
    Emulate(196, "flistxattr", OutResult(1)),
    Emulate(197, "removexattr"),
    Emulate(198, "lremovexattr"),
    Emulate(199, "fremovexattr"),
    Emulate(200, "tkill"),
    Emulate(201, "time", OutFixed(0, kTimeT)),
    Emulate(202, "futex", Special::kFutex),
    Emulate(203, "sched_setaffinity"),
    // Returns the number of bytes of the mask it wrote.
    Emulate(204, "sched_getaffinity", OutResult(2)),
    Emulate(213, "epoll_create"),
    Emulate(217, "getdents64", OutResult(1)),
    Execute(218, "set_tid_address"),
    Emulate(219, "restart_syscall", Special::kRestartSyscall),
    Emulate(221, "fadvise64"),
    Emulate(222, "timer_create", OutFixed(2, kKernelTimerT)),
    Emulate(223, "timer_settime", OutFixed(3, kItimerspec)),
    Emulate(224, "timer_gettime", OutFixed(1, kItimerspec)),
    Emulate(225, "timer_getoverrun"),
    Emulate(226, "timer_delete"),
    Emulate(227, "clock_settime"),
    Emulate(228, "clock_gettime", OutFixed(1, kTimespec)),
    Emulate(229, "clock_getres", OutFixed(1, kTimespec)),
    Emulate(230, "clock_nanosleep", Special::kSleep, OutFixed(3, kTimespec)),
    Execute(231, "exit_group", Special::kExitGroup),
    Emulate(232, "epoll_wait", OutResultTimes(1, kEpollEvent)),
    Emulate(233, "epoll_ctl"),
    Emulate(234, "tgkill"),
    Emulate(235, "utimes"),
    Emulate(240, "mq_open"),
    Emulate(241, "mq_unlink"),
    Emulate(242, "mq_timedsend"),
    Emulate(243, "mq_timedreceive", OutResult(1), OutFixed(3, kU32)),
    Emulate(244, "mq_notify"),
    Emulate(245, "mq_getsetattr", OutFixed(2, kMqAttr)),
    Emulate(247, "waitid", Special::kWait, OutFixed(2, kSiginfo), OutFixed(4, kRusage)),
    Emulate(251, "ioprio_set"),
    Emulate(252, "ioprio_get"),
    Emulate(253, "inotify_init"),
    Emulate(254, "inotify_add_watch"),
    Emulate(255, "inotify_rm_watch"),
    Emulate(257, "openat"),
    Emulate(258, "mkdirat"),
    Emulate(259, "mknodat"),
    Emulate(260, "fchownat"),
    Emulate(261, "futimesat"),
    Emulate(262, "newfstatat", OutFixed(2, kStat)),
    Emulate(263, "unlinkat"),
    Emulate(264, "renameat"),
    Emulate(265, "linkat"),
    Emulate(266, "symlinkat"),
    Emulate(267, "readlinkat", OutResult(2)),
    Emulate(268, "fchmodat"),
    Emulate(269, "faccessat"),
    Emulate(270, "pselect6", Special::kSelect, OutFixed(4, kTimespec)),
    Emulate(271, "ppoll", Special::kPoll, OutArgTimes(0, 1, kPollfd), OutFixed(2, kTimespec)),
    Execute(273, "set_robust_list"),
    Emulate(274, "get_robust_list", OutFixed(1, kU64), OutFixed(2, kU64)),
    Emulate(275, "splice", OutFixed(1, kU64), OutFixed(3, kU64)),
    Emulate(276, "tee"),
    Emulate(277, "sync_file_range"),
    Emulate(280, "utimensat"),
    Emulate(281, "epoll_pwait", OutResultTimes(1, kEpollEvent)),
    Emulate(282, "signalfd"),
    Emulate(283, "timerfd_create"),
    Emulate(284, "eventfd"),
    Emulate(285, "fallocate"),
    Emulate(286, "timerfd_settime", OutFixed(3, kItimerspec)),
    Emulate(287, "timerfd_gettime", OutFixed(1, kItimerspec)),
    Emulate(288, "accept4", OutDerefU32(1, 2), OutFixed(2, kU32)),
    Emulate(289, "signalfd4"),
    Emulate(290, "eventfd2"),
    Emulate(291, "epoll_create1"),
    Emulate(292, "dup3"),
    Emulate(293, "pipe2", OutFixed(0, kFdPair)),
    Emulate(294, "inotify_init1"),
    Emulate(295, "preadv", Special::kReadv),
    Emulate(296, "pwritev"),
    Emulate(297, "rt_tgsigqueueinfo"),
    // The Special records the mmsghdr array; the timeout is written back
    // only when the call succeeds.
    Emulate(299, "recvmmsg", Special::kRecvmmsg, OutFixed(4, kTimespec)),
    Emulate(300, "fanotify_init"),
    Emulate(301, "fanotify_mark"),
    Emulate(302, "prlimit64", OutFixed(3, kRlimit)),
    Emulate(305, "clock_adjtime", OutFixed(1, kTimex)),
    Emulate(306, "syncfs"),
    // The kernel stores msg_len into each of the `result` entries it sent.
    Emulate(307, "sendmmsg", OutResultTimes(1, kMmsghdr)),
    Emulate(309, "getcpu", OutFixed(0, kU32), OutFixed(1, kU32)),
    Emulate(314, "sched_setattr"),
    Emulate(315, "sched_getattr", OutArg(1, 2)),
    Emulate(316, "renameat2"),
    // Runs when recorded, so the program's own filter judges its syscalls
    // there; their results (errno answers, SIGSYS, kills) are recorded like
    // any other. Replay emulates it: a filter in the replayed process would
    // judge replay's own injected syscalls, and PTRACE_SYSEMU skips seccomp.
    Emulate(317, "seccomp", Special::kSeccomp),
    Emulate(318, "getrandom", OutResult(0)),
    Emulate(319, "memfd_create"),
    Execute(322, "execveat", Special::kExecve),
    Emulate(324, "membarrier"),
    Emulate(325, "mlock2"),
    Emulate(326, "copy_file_range", OutFixed(1, kU64), OutFixed(3, kU64)),
    Emulate(327, "preadv2", Special::kReadv),
    Emulate(328, "pwritev2"),
    // Protection keys: no key is ever handed out (ENOSPC, as on a CPU
    // without them, or with every key taken), so no page or thread state
    // depends on one and replay runs anywhere. Without a key the other two
    // work as the kernel's own on key 0 or -1, for real in replay as well.
    Execute(329, "pkey_mprotect", Special::kMprotect),
    Deny(330, "pkey_alloc", kEnospc, Special::kNone),
    Execute(331, "pkey_free"),
    Emulate(332, "statx", OutFixed(4, kStatx)),
    Deny(334, "rseq", kEnosys, Special::kRseq),
    Emulate(424, "pidfd_send_signal"),
    Emulate(434, "pidfd_open"),
    // glibc falls back to clone, whose flat arguments replay can rewrite.
    Deny(435, "clone3", kEnosys, Special::kNone),
    Emulate(436, "close_range"),
    Emulate(437, "openat2"),
    Emulate(439, "faccessat2"),
    Emulate(441, "epoll_pwait2", OutResultTimes(1, kEpollEvent)),
    Emulate(449, "futex_waitv"),
});

}  // namespace

std::span<const SyscallInfo> X86_64SyscallRows() { return kRows; }

}  // namespace rwd::arch
