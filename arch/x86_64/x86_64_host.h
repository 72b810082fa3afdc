// X86_64Host: what x86-64 does on the machine rewind runs on (ArchHost,
// arch/arch.h): rdtsc, cpuid and rdrand executed in the tracer, the debug
// registers, orig_rax at a syscall-entry stop, and the CPU modes the tracer
// shares with its tracees. The inline instructions and ptrace user-area
// offsets exist only when rewind is built for x86-64; other hosts compile
// stubs that refuse, so X86_64Arch still builds (and is tested) there.
#pragma once

#include <cstddef>

#include "arch/arch.h"

namespace rwd::arch {

class X86_64Host final : public ArchHost {
 public:
  // Never destroyed, like X86_64Arch::Instance().
  static const X86_64Host& Instance();

  // x86_64_host.cc. Data breakpoints are traps: DR6 reports them after the
  // access.
  std::vector<uint64_t> ExecuteTrapInsn(const Registers& regs, const TrapInsn& insn,
                                        CpuidMask cpuid_mask) const override;
  Status SetSyscallNumberAtEntry(pid_t tid, Registers& regs, int64_t nr) const override;
  Status SetHwWatchpoints(pid_t tid, std::span<const HwWatch> watches) const override;
  std::optional<int> TakeHwWatchpointHit(pid_t tid) const override;
  bool KernelTrapsTscReads() const override;
  bool EnableCpuidFaulting() const override;
  // x86_64_tracer_modes.cc.
  TracerCpuModes AdoptTraceeCpuModes() const override;
  void DropTraceeCpuModes() const override;
};

// Size of the host's standard-format xsave area for the features the kernel
// enabled (cpuid 0xD.0 ebx), which bounds PTRACE_GETREGSET NT_X86_XSTATE;
// a page on CPUs without leaf 0xD and on other hosts. x86_64_host.cc.
size_t X86_64HostXsaveSize();

}  // namespace rwd::arch
