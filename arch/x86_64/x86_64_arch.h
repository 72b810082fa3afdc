// X86_64Arch: the x86-64 implementation of Arch (arch/arch.h).
//
// One immutable instance per process, obtained with Instance(); every method
// is const and thread-safe. The data part (registers, instruction facts,
// syscall table, gdb register table and target description) works on any
// host. The host operations (ExecuteTrapInsn, debug registers, cpuid
// faulting) execute real x86-64 instructions or ptrace requests and are only
// meaningful when rewind itself runs on x86-64; elsewhere they abort
// (ExecuteTrapInsn) or report failure.
//
// Registers hold the kernel's NT_PRSTATUS layout, struct user_regs_struct:
// 27 words, r15 first, gs last (see the kReg* indices below).
#pragma once

#include <cstddef>
#include <cstdint>

#include "arch/arch.h"
#include "arch/syscall_table.h"

namespace rwd::arch {

// Word indices of struct user_regs_struct (<sys/user.h>), spelled out so that
// the table compiles on every host.
enum X86_64Reg : uint8_t {
  kX86R15 = 0,
  kX86R14,
  kX86R13,
  kX86R12,
  kX86Rbp,
  kX86Rbx,
  kX86R11,
  kX86R10,
  kX86R9,
  kX86R8,
  kX86Rax,
  kX86Rcx,
  kX86Rdx,
  kX86Rsi,
  kX86Rdi,
  kX86OrigRax,
  kX86Rip,
  kX86Cs,
  kX86Eflags,
  kX86Rsp,
  kX86Ss,
  kX86FsBase,
  kX86GsBase,
  kX86Ds,
  kX86Es,
  kX86Fs,
  kX86Gs,
  kX86NumGpWords,
};

// Where X86_64Arch::VectorRegisterValues puts xmm0-15 (after mxcsr and the
// 10 bytes of each of st0-7), 16 bytes each; the upper ymm halves follow.
constexpr size_t kX86VectorValuesXmm = 4 + 8 * 10;

class X86_64Arch final : public Arch {
 public:
  static const X86_64Arch& Instance();

  ArchId id() const override { return ArchId::kX86_64; }
  std::string_view name() const override { return "x86_64"; }
  size_t gp_regs_size() const override { return kX86NumGpWords * 8; }

  uint64_t Pc(const Registers& r) const override;
  void SetPc(Registers& r, uint64_t pc) const override;
  uint64_t Sp(const Registers& r) const override;
  int64_t SyscallNumber(const Registers& r) const override;
  void SetSyscallNumber(Registers& r, int64_t nr) const override;
  uint64_t SyscallArg(const Registers& r, int i) const override;
  void SetSyscallArg(Registers& r, int i, uint64_t v) const override;
  int64_t SyscallResult(const Registers& r) const override;
  void SetSyscallResult(Registers& r, int64_t v) const override;
  uint64_t FunctionResult(const Registers& r) const override;
  void RewindToSyscallInsn(Registers& r) const override;
  // Also sets orig_rax to -1: no syscall is pending, so neither a pending
  // syscall-entry stop nor the kernel's restart logic acts on the old one.
  void SetupSyscall(Registers& r, uint64_t insn_addr, int64_t nr,
                    std::span<const uint64_t, 6> args) const override;
  bool SameProgramState(const Registers& a, const Registers& b) const override;
  bool SameValues(const Registers& a, const Registers& b) const override;
  // None: syscall stops report every register as the program left it.
  std::span<const uint8_t> SyscallStopClobberedWords() const override { return {}; }
  // The kernel already hides the trap flag it sets for PTRACE_SINGLESTEP.
  // `syscall` copies rflags into r11; while single-stepping that copy has
  // the trap flag the kernel forced on, so the same point reached by a step
  // and by a continue would differ there.
  void ClearStopArtifacts(Registers& r) const override;
  std::string DescribeRegisters(const Registers& r) const override;

  std::span<const uint8_t> SyscallInsn() const override;
  std::span<const uint8_t> BreakpointInsn() const override;
  uint64_t BreakpointTrapPcOffset() const override { return 1; }
  TrapInsn DecodeTrapInsn(std::span<const uint8_t> code) const override;
  std::optional<size_t> InterruptibleInsnLength(std::span<const uint8_t> code) const override;
  void ApplyTrapInsn(Registers& r, const TrapInsn& insn,
                     std::span<const uint64_t> values) const override;
  // Linear sweep from the start of `code`: data embedded in code can hide a
  // real instruction or fake one, exactly as for any linear disassembler.
  std::vector<TrapSite> ScanForTrapSites(std::span<const uint8_t> code, uint64_t addr,
                                         TrapScanKinds kinds) const override;
  std::string DisassembleInsn(std::span<const uint8_t> code, uint64_t addr) const override;
  std::vector<DecodedInsn> Disassemble(std::span<const uint8_t> code, uint64_t addr,
                                       size_t max_count) const override;
  std::vector<uint8_t> SyscallStub(int nr) const override;
  std::span<const VdsoFunction> VdsoFunctions() const override;

  // x86_64_cpu_features.cc.
  std::string UsableCpuFeatures(std::string_view host_features, CpuidMask mask) const override;

  const SyscallTable& syscalls() const override { return syscalls_; }

  // None: fs_base and gs_base are NT_PRSTATUS words.
  std::span<const Regset> ThreadRegsets() const override { return {}; }

  // Numbered as gdb numbers a tdesc with core, sse, linux, segments and avx
  // features: index in this table == gdb register number.
  std::span<const GdbRegister> GdbRegisters() const override;
  std::string_view TargetXml() const override;
  int FpRegsetType() const override;
  // An upper bound for PTRACE_GETREGSET NT_X86_XSTATE; the kernel trims
  // iov_len to the exact size of its (standard-format) xsave area.
  size_t FpRegsetSize() const override { return fp_regset_size_; }
  std::vector<uint8_t> VectorRegisterValues(std::span<const uint8_t> fp_regset) const override;

  std::vector<uint64_t> ExecuteTrapInsn(const Registers& regs, const TrapInsn& insn,
                                        CpuidMask cpuid_mask) const override;
  Status SetSyscallNumberAtEntry(pid_t tid, Registers& regs, int64_t nr) const override;
  Status SetHwWatchpoints(pid_t tid, std::span<const HwWatch> watches) const override;
  // Data breakpoints are traps: DR6 reports them after the access.
  bool WatchpointTrapsBeforeAccess() const override { return false; }
  std::optional<int> TakeHwWatchpointHit(pid_t tid) const override;
  bool KernelTrapsTscReads() const override;
  // TLS_TCB_AT_TP: %fs points at struct pthread itself.
  std::optional<uint64_t> TcbAddress(const Registers& r) const override {
    return r.Word(kX86FsBase);
  }
  bool EnableCpuidFaulting() const override;
  // x86_64_tracer_modes.cc.
  TracerCpuModes AdoptTraceeCpuModes() const override;
  void DropTraceeCpuModes() const override;
  std::optional<std::array<uint64_t, 7>> CpuidFaultingSyscall() const override;
  CloneArgPositions CloneArgs() const override { return CloneArgPositions{}; }
  uint32_t AuditArch() const override { return 0xc000003e; }  // AUDIT_ARCH_X86_64
  bool HasSyscallBuffer() const override { return true; }

 private:
  X86_64Arch();

  SyscallTable syscalls_;
  size_t fp_regset_size_;
};

}  // namespace rwd::arch
