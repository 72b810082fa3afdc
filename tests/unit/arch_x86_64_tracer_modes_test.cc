// The tracer's own rdtsc, rdtscp and cpuid under its tracees' CPU modes
// (Arch::AdoptTraceeCpuModes, arch/x86_64/x86_64_tracer_modes.h): the
// SIGSEGV handler's emulation on fabricated faults, and real faults in a
// child process that adopted the modes (a child, so that this test process
// keeps its own modes and signal handlers).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "arch/arch.h"
#include "arch/x86_64/x86_64_arch.h"
#include "arch/x86_64/x86_64_tracer_modes.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <ucontext.h>
#include <x86intrin.h>
#endif

namespace rwd::arch {
namespace {

#if defined(__x86_64__)

// A saved context whose pc is at `code`, as the kernel hands a handler.
ucontext_t ContextAt(const uint8_t* code) {
  ucontext_t uc{};
  for (greg_t& g : uc.uc_mcontext.gregs) g = 0x5a5a5a5a5a5a5a5a;
  uc.uc_mcontext.gregs[REG_RIP] = reinterpret_cast<greg_t>(code);
  return uc;
}

uint64_t Reg(const ucontext_t& uc, int reg) {
  return static_cast<uint64_t>(uc.uc_mcontext.gregs[reg]);
}

TEST(TracerTrapEmulation, CpuidGivesTheHostValuesOfTheLeafInRaxAndSubleafInRcx) {
  static const uint8_t kCpuid[] = {0x0f, 0xa2, 0x90};
  unsigned max_leaf = 0, b = 0, c = 0, d = 0;
  __cpuid_count(0, 0, max_leaf, b, c, d);
  for (uint32_t leaf : {0u, 1u, 7u}) {
    if (leaf > max_leaf) continue;
    ucontext_t uc = ContextAt(kCpuid);
    uc.uc_mcontext.gregs[REG_RAX] = 0xdead000000000000 | leaf;  // high half ignored
    uc.uc_mcontext.gregs[REG_RCX] = 0;
    uint64_t before = TracerTrapInsnsEmulated();
    ASSERT_TRUE(EmulateTracerTrapInsn(&uc)) << "leaf " << leaf;
    EXPECT_EQ(TracerTrapInsnsEmulated(), before + 1);
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    __cpuid_count(leaf, 0, eax, ebx, ecx, edx);
    if (leaf == 1) ebx &= 0x00ffffff;  // the APIC id of whichever CPU ran it
    uint64_t got_ebx = leaf == 1 ? Reg(uc, REG_RBX) & 0x00ffffff : Reg(uc, REG_RBX);
    EXPECT_EQ(Reg(uc, REG_RAX), eax) << "leaf " << leaf;
    EXPECT_EQ(got_ebx, ebx) << "leaf " << leaf;
    EXPECT_EQ(Reg(uc, REG_RCX), ecx) << "leaf " << leaf;
    EXPECT_EQ(Reg(uc, REG_RDX), edx) << "leaf " << leaf;
    EXPECT_EQ(Reg(uc, REG_RIP), reinterpret_cast<uint64_t>(kCpuid) + 2);
    EXPECT_EQ(Reg(uc, REG_RSI), 0x5a5a5a5a5a5a5a5au) << "other registers untouched";
  }
}

TEST(TracerTrapEmulation, RdtscAndRdtscpReadTheTimeStampCounter) {
  static const uint8_t kRdtsc[] = {0x0f, 0x31};
  static const uint8_t kRdtscp[] = {0x0f, 0x01, 0xf9};
  uint64_t before = __rdtsc();
  ucontext_t uc = ContextAt(kRdtsc);
  ASSERT_TRUE(EmulateTracerTrapInsn(&uc));
  uint64_t tsc = Reg(uc, REG_RDX) << 32 | Reg(uc, REG_RAX);
  EXPECT_LE(Reg(uc, REG_RAX), 0xffffffffu);
  EXPECT_GT(tsc, before);
  EXPECT_EQ(Reg(uc, REG_RIP), reinterpret_cast<uint64_t>(kRdtsc) + 2);
  EXPECT_EQ(Reg(uc, REG_RCX), 0x5a5a5a5a5a5a5a5au) << "rdtsc leaves rcx alone";

  ucontext_t ucp = ContextAt(kRdtscp);
  ASSERT_TRUE(EmulateTracerTrapInsn(&ucp));
  uint64_t tscp = Reg(ucp, REG_RDX) << 32 | Reg(ucp, REG_RAX);
  EXPECT_GT(tscp, tsc);
  EXPECT_LE(Reg(ucp, REG_RCX), 0xffffffffu) << "TSC_AUX, zero-extended";
  EXPECT_LT(tscp, __rdtsc());
  EXPECT_EQ(Reg(ucp, REG_RIP), reinterpret_cast<uint64_t>(kRdtscp) + 3);
}

TEST(TracerTrapEmulation, OtherFaultsAreLeftAlone) {
  static const uint8_t kUd2[] = {0x0f, 0x0b};
  static const uint8_t kRdtscpLookalike[] = {0x0f, 0x01, 0xf8};  // swapgs
  static const uint8_t kMov[] = {0x8b, 0x00};
  for (const uint8_t* code : {kUd2, kRdtscpLookalike, kMov}) {
    ucontext_t uc = ContextAt(code);
    ucontext_t copy = uc;
    uint64_t before = TracerTrapInsnsEmulated();
    EXPECT_FALSE(EmulateTracerTrapInsn(&uc));
    EXPECT_EQ(TracerTrapInsnsEmulated(), before);
    for (int i = 0; i < NGREG; ++i) EXPECT_EQ(uc.uc_mcontext.gregs[i], copy.uc_mcontext.gregs[i]);
  }
}

int TscMode() {
  int mode = 0;
  prctl(PR_GET_TSC, &mode);
  return mode;
}

// Exit codes of the child below.
constexpr int kChildOk = 0;
constexpr int kChildFailed = 1;
constexpr int kChildNoTscFaulting = 2;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "%s (%llu emulated in all)\n", what,
               static_cast<unsigned long long>(TracerTrapInsnsEmulated()));
  std::_Exit(kChildFailed);
}

// Runs in a child process: takes the modes, then executes the
// instructions for real; each must fault and be emulated.
[[noreturn]] void ExecuteUnderTracerModes() {
  TracerCpuModes modes = X86_64Arch::Instance().host().AdoptTraceeCpuModes();
  if (!modes.tsc_faulting) Fail("PR_SET_TSC refused");
  if (TscMode() != PR_TSC_SIGSEGV) Fail("PR_GET_TSC does not report rdtsc faulting");
  uint64_t emulated = TracerTrapInsnsEmulated();
  uint64_t a = __rdtsc();
  // Some hypervisors accept PR_SET_TSC but never make rdtsc fault (PVM
  // guests do): nothing to emulate there.
  if (TracerTrapInsnsEmulated() == emulated) std::_Exit(kChildNoTscFaulting);
  uint64_t b = __rdtsc();
  unsigned aux = 0;
  uint64_t c = __rdtscp(&aux);
  if (!(a < b && b < c)) Fail("the time stamps do not increase");
  if (TracerTrapInsnsEmulated() != emulated + 3) Fail("rdtsc/rdtscp were not emulated");
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __cpuid_count(0, 0, eax, ebx, ecx, edx);
  if (eax == 0 || ebx == 0) Fail("cpuid leaf 0 is empty");
  uint64_t expected = emulated + 3 + (modes.cpuid_faulting ? 1 : 0);
  if (TracerTrapInsnsEmulated() != expected) Fail("cpuid emulated iff cpuid faulting is on");
  // libc's clock through the vDSO, which executes rdtsc (tsc, kvm-clock).
  timespec t1{}, t2{};
  clock_gettime(CLOCK_MONOTONIC, &t1);
  clock_gettime(CLOCK_MONOTONIC, &t2);
  if (t1.tv_sec == 0 || t2.tv_sec < t1.tv_sec) Fail("the vDSO clock is wrong");
  if (TscMode() != PR_TSC_SIGSEGV) Fail("the emulation left rdtsc enabled");

  X86_64Arch::Instance().host().DropTraceeCpuModes();
  if (TscMode() != PR_TSC_ENABLE) Fail("DropTraceeCpuModes left rdtsc faulting");
  emulated = TracerTrapInsnsEmulated();
  (void)__rdtsc();
  if (TracerTrapInsnsEmulated() != emulated) Fail("rdtsc still faults after the drop");
  std::_Exit(kChildOk);
}

TEST(TracerCpuModes, RealFaultsAreEmulatedInTheTracer) {
  int err[2];
  ASSERT_EQ(pipe(err), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(err[1], 2);
    ExecuteUnderTracerModes();
  }
  close(err[1]);
  std::string message;
  char buf[256];
  for (ssize_t n; (n = read(err[0], buf, sizeof(buf))) > 0;) message.append(buf, n);
  close(err[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  if (WEXITSTATUS(status) == kChildNoTscFaulting) {
    GTEST_SKIP() << "rdtsc does not fault here although PR_SET_TSC succeeds (a hypervisor "
                    "that ignores CR4.TSD): the emulation of real faults cannot be exercised";
  }
  EXPECT_EQ(WEXITSTATUS(status), kChildOk) << message;
}

TEST(TracerCpuModesDeathTest, ACrashOfTheTracerStillCrashes) {
  auto crash = []() {
    X86_64Arch::Instance().host().AdoptTraceeCpuModes();
    volatile int* nowhere = nullptr;
    *nowhere = 1;
    std::_Exit(0);
  };
  EXPECT_EXIT(crash(), testing::KilledBySignal(SIGSEGV), "");
}

TEST(TracerCpuModesDeathTest, ASegvSentFromOutsideIsNotSwallowed) {
  auto sent = []() {
    X86_64Arch::Instance().host().AdoptTraceeCpuModes();
    raise(SIGSEGV);
    std::_Exit(0);
  };
  EXPECT_EXIT(sent(), testing::KilledBySignal(SIGSEGV), "");
}

#else

TEST(TracerTrapEmulation, NeedsAnX86_64Host) {
  GTEST_SKIP() << "the tracer's own rdtsc/cpuid emulation exists on x86-64 hosts only";
}

#endif

}  // namespace
}  // namespace rwd::arch
