// The struct sizes the syscall tables record, checked against the host's
// headers. On an x86-64 host sizeof() gives the x86-64 layouts; AArch64 is
// LP64 too, so the same sizeof() checks its rows except where the generic
// ABI differs (struct stat, epoll_event), which are pinned by value.
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <linux/posix_types.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/timex.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <time.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "arch/aarch64/syscall_numbers.h"
#include "arch/syscall_table.h"
#include "arch/x86_64/syscall_numbers.h"

namespace rwd::arch {
namespace {

// The kernel's struct sigaction (not glibc's): handler, flags, restorer (both
// architectures define SA_RESTORER) and a 64-bit mask.
constexpr size_t kKernelSigactionSize = sizeof(__sighandler_t) +
                                        sizeof(unsigned long) +
                                        sizeof(void (*)()) + sizeof(uint64_t);

// asm-generic/stat.h and the unpacked epoll_event of AArch64.
constexpr size_t kGenericStatSize = 128;
constexpr size_t kGenericEpollEventSize = 16;

constexpr size_t kSameAsX86 = SIZE_MAX;
constexpr size_t kNoSuchSyscall = 0;

struct SizeCase {
  std::string_view syscall;
  int arg;
  size_t x86_64;                // host sizeof on an x86-64 host
  size_t aarch64 = kSameAsX86;  // or a pinned size, or kNoSuchSyscall
};

// Element or buffer size an OutParam carries, whatever its rule.
uint32_t RecordedSize(const SyscallTable& table, const SizeCase& c,
                      std::string_view arch) {
  const SyscallInfo* row = table.FindByName(c.syscall);
  if (row == nullptr) {
    ADD_FAILURE() << arch << " " << c.syscall << " has no row";
    return 0;
  }
  for (const OutParam& out : row->outs) {
    if (out.rule != SizeRule::kNone && out.arg == c.arg) {
      EXPECT_TRUE(out.rule == SizeRule::kFixed ||
                  out.rule == SizeRule::kArgTimes ||
                  out.rule == SizeRule::kResultTimes || out.rule == SizeRule::kCapVersion)
          << arch << " " << c.syscall << " arg " << c.arg;
      return out.size;
    }
  }
  ADD_FAILURE() << arch << " " << c.syscall << " records nothing at arg "
                << c.arg;
  return 0;
}

TEST(StructSizesTest, TableSizesMatchHostStructs) {
#if defined(__x86_64__)
  const SizeCase cases[] = {
      {"stat", 1, sizeof(struct stat), kNoSuchSyscall},
      {"lstat", 1, sizeof(struct stat), kNoSuchSyscall},
      {"fstat", 1, sizeof(struct stat), kGenericStatSize},
      {"newfstatat", 2, sizeof(struct stat), kGenericStatSize},
      {"statfs", 1, sizeof(struct statfs)},
      {"fstatfs", 1, sizeof(struct statfs)},
      {"statx", 4, sizeof(struct statx)},
      {"getrusage", 1, sizeof(struct rusage)},
      {"wait4", 1, sizeof(int)},
      {"wait4", 3, sizeof(struct rusage)},
      {"waitid", 2, sizeof(siginfo_t)},
      {"waitid", 4, sizeof(struct rusage)},
      {"uname", 0, sizeof(struct utsname)},
      {"sysinfo", 0, sizeof(struct sysinfo)},
      {"clock_gettime", 1, sizeof(struct timespec)},
      {"clock_getres", 1, sizeof(struct timespec)},
      {"nanosleep", 1, sizeof(struct timespec)},
      {"clock_nanosleep", 3, sizeof(struct timespec)},
      {"sched_rr_get_interval", 1, sizeof(struct timespec)},
      {"ppoll", 2, sizeof(struct timespec)},
      {"pselect6", 4, sizeof(struct timespec)},
      {"recvmmsg", 4, sizeof(struct timespec)},
      {"gettimeofday", 0, sizeof(struct timeval)},
      {"gettimeofday", 1, sizeof(struct timezone)},
      {"select", 4, sizeof(struct timeval), kNoSuchSyscall},
      {"time", 0, sizeof(time_t), kNoSuchSyscall},
      {"getrlimit", 1, sizeof(struct rlimit)},
      {"prlimit64", 3, sizeof(struct rlimit)},
      {"times", 0, sizeof(struct tms)},
      {"getitimer", 1, sizeof(struct itimerval)},
      {"setitimer", 2, sizeof(struct itimerval)},
      {"timer_gettime", 1, sizeof(struct itimerspec)},
      {"timer_settime", 3, sizeof(struct itimerspec)},
      {"timerfd_gettime", 1, sizeof(struct itimerspec)},
      {"timerfd_settime", 3, sizeof(struct itimerspec)},
      {"timer_create", 2, sizeof(__kernel_timer_t)},
      {"rt_sigtimedwait", 1, sizeof(siginfo_t)},
      {"sigaltstack", 1, sizeof(stack_t)},
      {"rt_sigaction", 2, kKernelSigactionSize},
      {"poll", 0, sizeof(struct pollfd), kNoSuchSyscall},
      {"ppoll", 0, sizeof(struct pollfd)},
      {"epoll_wait", 1, sizeof(struct epoll_event), kNoSuchSyscall},
      {"epoll_pwait", 1, sizeof(struct epoll_event), kGenericEpollEventSize},
      {"epoll_pwait2", 1, sizeof(struct epoll_event), kGenericEpollEventSize},
      {"sched_getparam", 1, sizeof(struct sched_param)},
      {"adjtimex", 0, sizeof(struct timex)},
      {"clock_adjtime", 1, sizeof(struct timex)},
      // One per 32 capabilities; the header's version says how many.
      {"capget", 1, sizeof(struct __user_cap_data_struct)},
      {"sendmmsg", 1, sizeof(struct mmsghdr)},
      {"mq_getsetattr", 2, sizeof(struct mq_attr)},
      {"mq_timedreceive", 3, sizeof(unsigned int)},
      {"pipe", 0, 2 * sizeof(int), kNoSuchSyscall},
      {"pipe2", 0, 2 * sizeof(int)},
      {"socketpair", 3, 2 * sizeof(int)},
      {"getresuid", 0, sizeof(uid_t)},
      {"getresgid", 2, sizeof(gid_t)},
      {"getgroups", 1, sizeof(gid_t)},
      {"accept", 2, sizeof(socklen_t)},
      {"accept4", 2, sizeof(socklen_t)},
      {"getsockname", 2, sizeof(socklen_t)},
      {"getpeername", 2, sizeof(socklen_t)},
      {"recvfrom", 5, sizeof(socklen_t)},
      {"getsockopt", 4, sizeof(socklen_t)},
      {"sendfile", 2, sizeof(off_t)},
      {"splice", 1, sizeof(loff_t)},
      {"splice", 3, sizeof(loff_t)},
      {"copy_file_range", 1, sizeof(loff_t)},
      {"copy_file_range", 3, sizeof(loff_t)},
      {"get_robust_list", 1, sizeof(void*)},
      {"get_robust_list", 2, sizeof(size_t)},
      {"getcpu", 0, sizeof(unsigned)},
      {"getcpu", 1, sizeof(unsigned)},
  };
  SyscallTable x86(X86_64SyscallRows());
  SyscallTable aarch64(AArch64SyscallRows());
  for (const SizeCase& c : cases) {
    EXPECT_EQ(RecordedSize(x86, c, "x86_64"), c.x86_64)
        << "x86_64 " << c.syscall << " arg " << c.arg;
    if (c.aarch64 == kNoSuchSyscall) {
      EXPECT_EQ(aarch64.FindByName(c.syscall), nullptr) << c.syscall;
      continue;
    }
    const size_t want = c.aarch64 == kSameAsX86 ? c.x86_64 : c.aarch64;
    EXPECT_EQ(RecordedSize(aarch64, c, "aarch64"), want)
        << "aarch64 " << c.syscall << " arg " << c.arg;
  }
#else
  GTEST_SKIP() << "host sizeof() gives the x86-64 layouts only on x86-64";
#endif
}

// The host headers must agree with the figures the tables were written from.
TEST(StructSizesTest, HostLayoutsAreTheDocumentedOnes) {
#if defined(__x86_64__)
  EXPECT_EQ(sizeof(struct stat), 144u);
  EXPECT_EQ(sizeof(struct statfs), 120u);
  EXPECT_EQ(sizeof(struct statx), 256u);
  EXPECT_EQ(sizeof(struct rusage), 144u);
  EXPECT_EQ(sizeof(struct sysinfo), 112u);
  EXPECT_EQ(sizeof(struct utsname), 390u);
  EXPECT_EQ(sizeof(siginfo_t), 128u);
  EXPECT_EQ(sizeof(stack_t), 24u);
  EXPECT_EQ(sizeof(struct epoll_event), 12u);
  EXPECT_EQ(sizeof(struct timex), 208u);
  EXPECT_EQ(kKernelSigactionSize, 32u);
#else
  GTEST_SKIP() << "the documented figures are x86-64 ones";
#endif
}

}  // namespace
}  // namespace rwd::arch
