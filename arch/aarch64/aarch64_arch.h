// AArch64Arch: the AArch64 (arm64) implementation of Arch (arch/arch.h).
//
// One immutable instance per process, obtained with Instance(); every method
// is const and thread-safe. The data part (registers, instruction facts,
// syscall table, gdb register table and target description) works on any
// host, so the unit tests run on x86-64. The host operations (host():
// AArch64Host, aarch64_host.h) are only meaningful when rewind itself runs
// on AArch64.
//
// Registers hold the kernel's NT_PRSTATUS layout, struct user_pt_regs:
// x0-x30, sp, pc, pstate (34 words). The syscall ABI: number in x8,
// arguments in x0-x5, result in x0, `svc #0`.
//
// Kernel facts the backend works around (arch/arm64/kernel/ptrace.c):
//  - at syscall stops the kernel reports x7 as 0 (entry) or 1 (exit) and
//    drops writes to it (SyscallStopClobberedWords);
//  - the syscall number is read from x8 before the entry stop; changing it
//    there takes NT_ARM_SYSTEM_CALL (ArchHost::SetSyscallNumberAtEntry);
//  - NT_PRSTATUS has no orig_x0: at the exit stop the first argument is
//    gone (PTRACE_GET_SYSCALL_INFO still reports it);
//  - `brk #0` traps with pc on the brk, not after it;
//  - watchpoints trap before the access, with pc on the load or store;
//  - after PTRACE_SINGLESTEP, pstate reads with the SS bit set;
//  - PTRACE_SYSEMU_SINGLESTEP reports an extra SIGTRAP (si_code SI_USER,
//    pc unchanged) when the thread leaves an emulated syscall.
//
// What a user-space tracer cannot trap on AArch64, and what rewind does:
//  - The generic timer: Linux lets EL0 read CNTVCT_EL0 (and, with FEAT_ECV,
//    CNTVCTSS_EL0) with a plain `mrs`, and has no per-task switch like
//    x86's PR_SET_TSC to make it fault. rewind finds these reads (and
//    CNTPCT*, RNDR, RNDRRS) with Capstone in every executable file mapping
//    and every range made executable by mmap/mprotect, patches each with
//    `brk #0`, and records the value (TrapInsnKind::kCounterRead). Not
//    covered: code written into already-executable memory (a JIT using RWX
//    pages), which the scan never sees.
//  - PMU counters (PMCCNTR_EL0, PMEVCNTR<n>_EL0) are readable only when
//    the kernel enables user access (perf_user_access); the tracer cannot
//    know the tracee's value, so the scan warns and leaves them.
//  - Exclusive monitors: single-stepping an ldxr/stxr loop clears the
//    monitor on every step, so such a loop never completes under
//    single-step (reverse-step's predecessor search). glibc uses LSE atomics
//    where the CPU has them (ARMv8.1+), which step normally.
//  - gdb sees x7 as 0/1 while the thread sits at a syscall boundary (a
//    stepi that ends on an svc), and stepping over an svc takes two stepi
//    (the second is the kernel's extra SIGTRAP and does not move pc).
#pragma once

#include <cstddef>
#include <cstdint>

#include "arch/arch.h"
#include "arch/syscall_table.h"

namespace rwd::arch {

// Word indices of struct user_pt_regs (<asm/ptrace.h>): x0..x30 are 0..30.
enum AArch64Reg : uint8_t {
  kA64X0 = 0,
  kA64X7 = 7,
  kA64X8 = 8,
  kA64Lr = 30,
  kA64Sp = 31,
  kA64Pc = 32,
  kA64Pstate = 33,
  kA64NumGpWords = 34,
};

// AArch64 instructions are 4 bytes, little-endian in Linux user space.
constexpr size_t kA64InsnBytes = 4;

// The data half: registers, syscall ABI, instructions (aarch64_arch.cc),
// the gdb register table (aarch64_gdb_registers.cc). Works on any host.
ArchDescription AArch64Description();
RegisterDescription AArch64RegisterDescription();
// aarch64_disasm.cc.
extern const CapstoneDecoding kAArch64Capstone;
// Arch::VectorRegisterValues of AArch64 (aarch64_gdb_registers.cc).
std::vector<uint8_t> AArch64VectorRegisterValues(std::span<const uint8_t> fp_regset);

// Registers (ArchDescription): x0-x30, sp, pc, pstate. x8 holds the syscall
// number at entry and exit stops (the kernel leaves it alone); at an entry
// stop x0 still holds the first argument. Stop artifacts: x7 and PSTATE.SS
// (bit 21, set while the kernel single-steps the thread).
// gdb's aarch64 numbering: x0-x30 0-30, sp 31, pc 32, cpsr 33, v0-v31
// 34-65, fpsr 66, fpcr 67; the FP regset is NT_PRFPREG, struct
// user_fpsimd_state (vregs[32], fpsr, fpcr), 528 bytes.
class AArch64Arch final : public Arch {
 public:
  static const AArch64Arch& Instance();

  // Counter reads (mrs Xt, CNTVCT_EL0 / CNTVCTSS_EL0 / CNTPCT_EL0 /
  // CNTPCTSS_EL0) as kCounterRead, random numbers (mrs Xt, RNDR / RNDRRS)
  // as kRdrand / kRdseed; dest_reg is Xt (31 = xzr: nothing is written).
  TrapInsn DecodeTrapInsn(std::span<const uint8_t> code) const override;
  void ApplyTrapInsn(Registers& r, const TrapInsn& insn,
                     std::span<const uint64_t> values) const override;
  // Every aligned word is an instruction (fixed width), so unlike x86 the
  // scan cannot lose synchronization; data words in code that happen to
  // encode a counter read are patched too, as any disassembler would see them.
  std::vector<TrapSite> ScanForTrapSites(std::span<const uint8_t> code, uint64_t addr,
                                         TrapScanKinds) const override;
  // movz x8, #nr; svc #0; ret
  std::vector<uint8_t> SyscallStub(int nr) const override;

 private:
  AArch64Arch();
};

// Instruction words the backend matches; exposed for the trap scan and tests.
namespace a64 {
constexpr uint32_t kSvc0 = 0xd4000001;
constexpr uint32_t kBrk0 = 0xd4200000;
constexpr uint32_t kRet = 0xd65f03c0;
constexpr uint32_t kMovzX8 = 0xd2800008;  // | imm16 << 5
// mrs Xt, <sysreg>: 0xd5300000 | o0:op1:CRn:CRm:op2 << 5 | Rt.
constexpr uint32_t kMrsMask = 0xffffffe0;
constexpr uint32_t kMrsCntvct = 0xd53be040;    // S3_3_C14_C0_2
constexpr uint32_t kMrsCntvctss = 0xd53be0c0;  // S3_3_C14_C0_6 (FEAT_ECV)
constexpr uint32_t kMrsCntpct = 0xd53be020;    // S3_3_C14_C0_1
constexpr uint32_t kMrsCntpctss = 0xd53be0a0;  // S3_3_C14_C0_5 (FEAT_ECV)
constexpr uint32_t kMrsRndr = 0xd53b2400;      // S3_3_C2_C4_0 (FEAT_RNG)
constexpr uint32_t kMrsRndrrs = 0xd53b2420;    // S3_3_C2_C4_1
// PMU counters user space may read when the kernel allows it
// (perf_user_access); the tracer cannot know the tracee's value.
constexpr uint32_t kMrsPmccntr = 0xd53b9d00;    // S3_3_C9_C13_0
constexpr uint32_t kMrsPmxevcntr = 0xd53b9d40;  // S3_3_C9_C13_2
// PMEVCNTR<n>_EL0, n = 0..30: S3_3_C14_C(8 + n/8)_(n%8).
constexpr uint32_t kMrsPmevcntrFirst = 0xd53be800;
constexpr uint32_t kMrsPmevcntrLast = 0xd53bebc0;
}  // namespace a64

}  // namespace rwd::arch
