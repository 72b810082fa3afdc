// X86_64Host (x86_64_host.h): executing rdtsc, cpuid and rdrand for a
// tracee, the debug registers, orig_rax at a syscall-entry stop, and the
// probes of what this machine's kernel and CPU can do. The tracer's CPU
// modes are in x86_64_tracer_modes.cc.
#include "arch/x86_64/x86_64_host.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <map>
#include <utility>

#include "arch/random_word.h"
#include "arch/x86_64/x86_64_arch.h"
#include "arch/x86_64/x86_64_cpu_features.h"
#include "arch/x86_64/x86_64_tracer_modes.h"
#include "base/check.h"
#include "base/hex.h"

#if defined(__x86_64__)
#include <asm/prctl.h>
#include <sys/user.h>
#include <x86intrin.h>
#endif

namespace rwd::arch {

namespace {

// When cpuid leaf 0xD is missing or reports less than the register table
// reads (legacy region, xsave header, AVX upper halves: kMinXsaveSize): a page,
// more than such CPUs have; the kernel trims iov_len to what it has. Also the
// value on non-x86 hosts, where it only sizes buffers.
constexpr size_t kFallbackXsaveSize = 4096;
constexpr size_t kMinXsaveSize = 576 + 256;

constexpr int kMaxHwWatches = 4;
constexpr int kNtPrstatus = 1;  // NT_PRSTATUS from <elf.h>

#if defined(__x86_64__)
// A tracee's cpuid, executed by the tracer once per (leaf, subleaf) of a
// recording. Each execution lifts cpuid faulting and sets it again, two
// writes of an MSR that exit to the hypervisor here, and ld.so runs ~40
// cpuids in every process it starts (make, a test suite's subprocesses).
// The values do not change while the machine runs, except the APIC ids
// (leaves 1, 0xB, 0x1F, 0x8000001E), which name the CPU the instruction ran
// on: the tracer's first answer is one the program could have seen.
// Recorder thread only (not the SIGSEGV handler).
CpuidResult CachedTracerCpuid(uint32_t leaf, uint32_t subleaf) {
  static std::map<std::pair<uint32_t, uint32_t>, CpuidResult>* const seen =
      new std::map<std::pair<uint32_t, uint32_t>, CpuidResult>();
  auto [it, inserted] = seen->try_emplace({leaf, subleaf});
  if (inserted) it->second = TracerCpuid(leaf, subleaf);
  return it->second;
}

uint64_t DebugRegOffset(int i) { return offsetof(struct user, u_debugreg) + i * sizeof(uint64_t); }

bool PokeDebugReg(pid_t tid, int i, uint64_t value) {
  return ptrace(PTRACE_POKEUSER, tid, DebugRegOffset(i), value) == 0;
}

// DR7 RW field: x86 has no read-only watchpoint, so reads watch accesses
// (gdb checks the value to tell a read from a write).
std::optional<uint64_t> Dr7Rw(HwKind kind) {
  switch (kind) {
    case HwKind::kExecute:
      return 0b00;
    case HwKind::kWrite:
      return 0b01;
    case HwKind::kRead:
    case HwKind::kAccess:
      return 0b11;
  }
  return std::nullopt;
}

std::optional<uint64_t> Dr7Len(uint32_t len) {
  switch (len) {
    case 1:
      return 0b00;
    case 2:
      return 0b01;
    case 4:
      return 0b11;
    case 8:
      return 0b10;
  }
  return std::nullopt;
}

#endif

}  // namespace

const X86_64Host& X86_64Host::Instance() {
  static const X86_64Host* const instance = new X86_64Host();
  return *instance;
}

// The kernel sizes its NT_X86_XSTATE regset from the features enabled in
// XCR0, so this is the size it returns.
size_t X86_64HostXsaveSize() {
#if defined(__x86_64__)
  if (TracerCpuid(0, 0).eax >= 0xd) {
    uint32_t size = TracerCpuid(0xd, 0).ebx;
    if (size >= kMinXsaveSize) return size;
  }
#endif
  return kFallbackXsaveSize;
}

std::vector<uint64_t> X86_64Host::ExecuteTrapInsn(const Registers& regs, const TrapInsn& insn,
                                                  CpuidMask cpuid_mask) const {
#if defined(__x86_64__)
  switch (insn.kind) {
    // The tracer runs with its tracees' modes: these lift them for the one
    // instruction (x86_64_tracer_modes.cc).
    case TrapInsnKind::kRdtsc:
      return {TracerReadTsc(nullptr)};
    case TrapInsnKind::kRdtscp: {
      uint32_t aux = 0;
      uint64_t tsc = TracerReadTsc(&aux);
      return {tsc, aux};
    }
    case TrapInsnKind::kCpuid: {
      auto leaf = static_cast<uint32_t>(regs.Word(kX86Rax));
      auto subleaf = static_cast<uint32_t>(regs.Word(kX86Rcx));
      CpuidResult r = CachedTracerCpuid(leaf, subleaf);
      ShapeRecordedCpuid(leaf, subleaf, cpuid_mask, r);
      return {r.eax, r.ebx, r.ecx, r.edx};
    }
    case TrapInsnKind::kRdrand:
    case TrapInsnKind::kRdseed: {
      // The kernel's pool instead of the instruction: same quality, and the
      // tracer need not depend on the CPU feature.
      uint64_t value = RandomWord();
      if (insn.operand_bytes < 8) value &= (uint64_t{1} << (8 * insn.operand_bytes)) - 1;
      return {value};
    }
    case TrapInsnKind::kNone:
    case TrapInsnKind::kCounterRead:
      break;
  }
  FATAL("ExecuteTrapInsn on an instruction x86-64 does not trap");
#else
  FATAL("ExecuteTrapInsn needs an x86-64 host");
#endif
}

// orig_rax is what the kernel dispatches on after the entry stop; it is part
// of NT_PRSTATUS, so this is a plain register write on any host.
Status X86_64Host::SetSyscallNumberAtEntry(pid_t tid, Registers& regs, int64_t nr) const {
  regs.SetWord(kX86OrigRax, static_cast<uint64_t>(nr));
  iovec iov{regs.data(), kX86NumGpWords * 8};
  if (ptrace(PTRACE_SETREGSET, tid, kNtPrstatus, &iov) != 0) {
    return ErrnoError("writing orig_rax of thread " + std::to_string(tid));
  }
  return Status::Ok();
}

Status X86_64Host::SetHwWatchpoints(pid_t tid, std::span<const HwWatch> watches) const {
#if defined(__x86_64__)
  if (watches.size() > kMaxHwWatches) {
    return Status(ErrorCode::kUnsupported, std::to_string(watches.size()) +
                                               " watchpoints do not fit in x86-64's " +
                                               std::to_string(kMaxHwWatches) + " debug registers");
  }
  uint64_t dr7 = 0;
  for (size_t i = 0; i < watches.size(); ++i) {
    const HwWatch& w = watches[i];
    std::optional<uint64_t> rw = Dr7Rw(w.kind);
    std::optional<uint64_t> len = Dr7Len(w.len);
    // The CPU compares addresses with the low bits masked by the length, so
    // an unaligned range would watch the wrong bytes; execution breakpoints
    // must use length 1.
    if (!rw || !len || w.addr % w.len != 0 || (w.kind == HwKind::kExecute && w.len != 1)) {
      return Status(ErrorCode::kUnsupported, "an x86-64 debug register cannot watch " +
                                                 std::to_string(w.len) + " bytes at " +
                                                 Hex(w.addr) + " this way");
    }
    dr7 |= uint64_t{1} << (2 * i);  // L<i>
    dr7 |= *rw << (16 + 4 * i);
    dr7 |= *len << (18 + 4 * i);
  }
  const std::string thread = " of thread " + std::to_string(tid);
  // Disable first: the kernel checks each DR0-3 write against the type and
  // length DR7 currently gives that slot, which may be stale.
  if (!PokeDebugReg(tid, 7, 0)) return ErrnoError("clearing DR7" + thread);
  for (size_t i = 0; i < watches.size(); ++i) {
    if (!PokeDebugReg(tid, static_cast<int>(i), watches[i].addr)) {
      return ErrnoError("writing DR" + std::to_string(i) + thread);
    }
  }
  if (dr7 != 0 && !PokeDebugReg(tid, 7, dr7)) return ErrnoError("writing DR7" + thread);
  return Status::Ok();
#else
  return Status(ErrorCode::kUnsupported, "x86-64 debug registers need an x86-64 host");
#endif
}

std::optional<int> X86_64Host::TakeHwWatchpointHit(pid_t tid) const {
#if defined(__x86_64__)
  errno = 0;
  const long dr6 = ptrace(PTRACE_PEEKUSER, tid, DebugRegOffset(6), nullptr);
  if (errno != 0) return std::nullopt;
  const unsigned hits = static_cast<unsigned long>(dr6) & 0xf;  // B0-B3
  if (hits == 0) return std::nullopt;
  // DR6 is sticky: clear it so the next trap is not blamed on this slot.
  if (!PokeDebugReg(tid, 6, 0)) return std::nullopt;
  return __builtin_ctz(hits);
#else
  return std::nullopt;
#endif
}

bool X86_64Host::KernelTrapsTscReads() const {
#if defined(__x86_64__)
  // A child sets PR_TSC_SIGSEGV and executes rdtsc: killed by SIGSEGV where
  // the mode works, a normal exit where the hypervisor ignores CR4.TSD. The
  // tracer's own mode is left alone.
  static const bool traps = [] {
    const pid_t child = fork();
    if (child == 0) {
      signal(SIGSEGV, SIG_DFL);
      if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV) != 0) _exit(2);
      volatile uint64_t tsc = __rdtsc();
      (void)tsc;
      _exit(0);
    }
    if (child < 0) return true;  // cannot tell: assume the documented behaviour
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
  }();
  return traps;
#else
  return true;
#endif
}

bool X86_64Host::EnableCpuidFaulting() const {
#if defined(__x86_64__)
  return syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) == 0;
#else
  return false;
#endif
}

}  // namespace rwd::arch
