// X86_64Host: the tracer takes its tracees' CPU modes (rdtsc faulting via
// PR_SET_TSC, cpuid faulting via ARCH_SET_CPUID where the CPU has it), and
// emulates the instructions those modes make fault in itself.
//
// Why: the kernel rewrites CR4.TSD and the cpuid-faulting MSR whenever it
// switches between two tasks whose modes differ, and in a VM each rewrite
// exits to the hypervisor. Tracer and tracee switch at every ptrace stop, so
// a tracer in the default modes pays up to four such exits per traced
// syscall: strace measured 60k syscalls at 1.3 s with a plain tracee, 7.6 s
// with a tracee in both modes (DESIGN.md, "Measured facts").
#include "arch/x86_64/x86_64_tracer_modes.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "arch/x86_64/x86_64_host.h"
#include "base/check.h"

#if defined(__x86_64__)
#include <asm/prctl.h>
#include <cpuid.h>
#include <ucontext.h>
#include <x86intrin.h>
#endif

namespace rwd::arch {

namespace {

// Which instructions fault in the tracer: the readers lift only those modes.
// Set before the modes are, so a fault never finds them unset. rdtsc counts
// only where it really faults: a hypervisor may ignore CR4.TSD
// (Arch::KernelTrapsTscReads), and lifting the mode there would cost two
// prctl calls (75 us measured on such a VM) per recorded rdtsc for nothing.
std::atomic<bool> g_tsc_faulting{false};
std::atomic<bool> g_cpuid_faulting{false};
std::atomic<uint64_t> g_emulated{0};

#if defined(__x86_64__)
struct sigaction g_previous_segv {};
std::atomic<bool> g_handler_installed{false};

void SetTscFaulting(bool on) { prctl(PR_SET_TSC, on ? PR_TSC_SIGSEGV : PR_TSC_ENABLE); }

void SetCpuidFaulting(bool on) { syscall(SYS_arch_prctl, ARCH_SET_CPUID, on ? 0 : 1); }

// si_code of a SIGSEGV raised by a general-protection fault, which is how a
// faulting rdtsc or cpuid arrives (SI_KERNEL, <asm-generic/siginfo.h>).
constexpr int kSiKernel = 0x80;

void OnSegv(int signo, siginfo_t* info, void* ucontext) {
  int saved_errno = errno;
  if (info->si_code == kSiKernel && EmulateTracerTrapInsn(ucontext)) {
    errno = saved_errno;
    return;
  }
  // Not ours: a crash of the tracer. Put back what was there before (the
  // default: a core dump) and let the instruction fault again, or re-send a
  // signal that came from outside.
  sigaction(SIGSEGV, &g_previous_segv, nullptr);
  if (info->si_code <= 0) raise(signo);
  errno = saved_errno;
}
#endif

}  // namespace

uint64_t TracerReadTsc(uint32_t* aux) {
#if defined(__x86_64__)
  bool lift = g_tsc_faulting.load(std::memory_order_relaxed);
  if (lift) SetTscFaulting(false);
  uint64_t tsc = 0;
  if (aux) {
    unsigned a = 0;
    tsc = __rdtscp(&a);
    *aux = a;
  } else {
    tsc = __rdtsc();
  }
  if (lift) SetTscFaulting(true);
  return tsc;
#else
  (void)aux;
  FATAL("TracerReadTsc needs an x86-64 host");
#endif
}

CpuidResult TracerCpuid(uint32_t leaf, uint32_t subleaf) {
#if defined(__x86_64__)
  bool lift = g_cpuid_faulting.load(std::memory_order_relaxed);
  if (lift) SetCpuidFaulting(false);
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __cpuid_count(leaf, subleaf, eax, ebx, ecx, edx);
  if (lift) SetCpuidFaulting(true);
  return {eax, ebx, ecx, edx};
#else
  (void)leaf;
  (void)subleaf;
  FATAL("TracerCpuid needs an x86-64 host");
#endif
}

bool EmulateTracerTrapInsn(void* ucontext) {
#if defined(__x86_64__)
  greg_t* regs = static_cast<ucontext_t*>(ucontext)->uc_mcontext.gregs;
  // The CPU decoded the whole instruction before it faulted, so its bytes
  // are mapped; read no further than the instruction matched so far.
  const auto* pc = reinterpret_cast<const uint8_t*>(regs[REG_RIP]);
  auto low32 = [](uint64_t v) { return static_cast<greg_t>(v & 0xffffffffu); };
  if (pc[0] != 0x0f) return false;
  if (pc[1] == 0x31) {  // rdtsc
    uint64_t tsc = TracerReadTsc(nullptr);
    regs[REG_RAX] = low32(tsc);
    regs[REG_RDX] = low32(tsc >> 32);
    regs[REG_RIP] += 2;
  } else if (pc[1] == 0x01 && pc[2] == 0xf9) {  // rdtscp
    uint32_t aux = 0;
    uint64_t tsc = TracerReadTsc(&aux);
    regs[REG_RAX] = low32(tsc);
    regs[REG_RDX] = low32(tsc >> 32);
    regs[REG_RCX] = low32(aux);
    regs[REG_RIP] += 3;
  } else if (pc[1] == 0xa2) {  // cpuid
    CpuidResult r =
        TracerCpuid(static_cast<uint32_t>(regs[REG_RAX]), static_cast<uint32_t>(regs[REG_RCX]));
    regs[REG_RAX] = low32(r.eax);
    regs[REG_RBX] = low32(r.ebx);
    regs[REG_RCX] = low32(r.ecx);
    regs[REG_RDX] = low32(r.edx);
    regs[REG_RIP] += 2;
  } else {
    return false;
  }
  g_emulated.fetch_add(1, std::memory_order_relaxed);
  return true;
#else
  (void)ucontext;
  return false;
#endif
}

uint64_t TracerTrapInsnsEmulated() { return g_emulated.load(std::memory_order_relaxed); }

TracerCpuModes X86_64Host::AdoptTraceeCpuModes() const {
  TracerCpuModes modes;
#if defined(__x86_64__)
  if (!g_handler_installed.exchange(true)) {
    struct sigaction sa {};
    sa.sa_sigaction = OnSegv;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_previous_segv);
  }
  // The probe forks a child; ask before the mode is ours.
  const bool tsc_reads_fault = KernelTrapsTscReads();
  g_tsc_faulting = tsc_reads_fault;
  modes.tsc_faulting = prctl(PR_SET_TSC, PR_TSC_SIGSEGV) == 0;
  g_tsc_faulting = modes.tsc_faulting && tsc_reads_fault;
  g_cpuid_faulting = true;
  modes.cpuid_faulting = EnableCpuidFaulting();
  g_cpuid_faulting = modes.cpuid_faulting;
#endif
  return modes;
}

void X86_64Host::DropTraceeCpuModes() const {
#if defined(__x86_64__)
  // Unconditionally: the mode may be set where rdtsc does not fault.
  SetTscFaulting(false);
  if (g_cpuid_faulting) SetCpuidFaulting(false);
  if (g_handler_installed) sigaction(SIGSEGV, &g_previous_segv, nullptr);
#endif
}

}  // namespace rwd::arch
