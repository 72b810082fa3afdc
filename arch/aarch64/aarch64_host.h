// AArch64Host: what AArch64 does on the machine rewind runs on (ArchHost,
// arch/arch.h): counter reads executed in the tracer, the NT_ARM_* ptrace
// regsets (the syscall number at an entry stop, the watchpoint registers).
// The counter read exists only when rewind is built for AArch64; on other
// hosts these compile to stubs that refuse, so AArch64Arch still builds (and
// is tested) there.
#pragma once

#include "arch/arch.h"

namespace rwd::arch {

class AArch64Host final : public ArchHost {
 public:
  // Never destroyed, like AArch64Arch::Instance().
  static const AArch64Host& Instance();

  // kCounterRead reads CNTVCT_EL0 in the tracer (whatever counter the
  // program read: the physical one may not be readable from EL0).
  std::vector<uint64_t> ExecuteTrapInsn(const Registers& regs, const TrapInsn& insn,
                                        CpuidMask) const override;
  Status SetSyscallNumberAtEntry(pid_t tid, Registers& regs, int64_t nr) const override;
  // Data watchpoints only (NT_ARM_HW_WATCH, slot i = watches[i]); an
  // execute request is refused. A watch must fit in one aligned 8-byte
  // granule, as gdb's aarch64 port also requires. They trap before the
  // access (ArchDescription::watchpoint_traps_before_access).
  Status SetHwWatchpoints(pid_t tid, std::span<const HwWatch> watches) const override;
  // From the SIGTRAP's siginfo (TRAP_HWBKPT, si_addr = the address accessed)
  // and the programmed slots; nothing to clear.
  std::optional<int> TakeHwWatchpointHit(pid_t tid) const override;
  // Its counter reads are always patched (ScanForTrapSites).
  bool KernelTrapsTscReads() const override { return true; }
  // AArch64 has no cpuid.
  bool EnableCpuidFaulting() const override { return false; }
  // Tracees run in no special CPU mode here (counter reads are patched to
  // trap, not made to fault): nothing for the tracer to share.
  TracerCpuModes AdoptTraceeCpuModes() const override { return {}; }
  void DropTraceeCpuModes() const override {}
};

}  // namespace rwd::arch
