// X86_64Arch: the x86-64 implementation of Arch (arch/arch.h).
//
// One immutable instance per process, obtained with Instance(); every method
// is const and thread-safe. The data part (registers, instruction facts,
// syscall table, gdb register table and target description) works on any
// host. The host operations (host(): X86_64Host, x86_64_host.h) execute real
// x86-64 instructions or ptrace requests and are only meaningful when rewind
// itself runs on x86-64.
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

// The data half: registers, syscall ABI, instructions (x86_64_arch.cc), the
// gdb register table (x86_64_gdb_registers.cc). Works on any host.
// `xsave_size` bounds PTRACE_GETREGSET NT_X86_XSTATE: the constructor asks
// the host for the size of its (standard-format) xsave area, which the
// kernel trims iov_len to.
ArchDescription X86_64Description(size_t xsave_size);
RegisterDescription X86_64RegisterDescription(size_t xsave_size);
// x86_64_disasm.cc.
extern const CapstoneDecoding kX86_64Capstone;
// Arch::VectorRegisterValues of x86-64 (x86_64_gdb_registers.cc).
std::vector<uint8_t> X86_64VectorRegisterValues(std::span<const uint8_t> fp_regset);

// Registers (ArchDescription): syscall stops report every register as the
// program left it. The kernel already hides the trap flag it sets for
// PTRACE_SINGLESTEP, but `syscall` copies rflags into r11; while
// single-stepping that copy has the trap flag the kernel forced on, so it is
// a stop artifact. gdb's registers are numbered as gdb numbers a tdesc with
// core, sse, linux, segments and avx features; fs_base and gs_base are
// NT_PRSTATUS words, so no other regset holds a thread's state.
class X86_64Arch final : public Arch {
 public:
  static const X86_64Arch& Instance();

  TrapInsn DecodeTrapInsn(std::span<const uint8_t> code) const override;
  std::optional<size_t> InterruptibleInsnLength(std::span<const uint8_t> code) const override;
  void ApplyTrapInsn(Registers& r, const TrapInsn& insn,
                     std::span<const uint64_t> values) const override;
  // Linear sweep from the start of `code`: data embedded in code can hide a
  // real instruction or fake one, exactly as for any linear disassembler.
  std::vector<TrapSite> ScanForTrapSites(std::span<const uint8_t> code, uint64_t addr,
                                         TrapScanKinds kinds) const override;
  // From the return address at sp (arch/x86_64/x86_64_call_path.cc).
  std::vector<Registers> StatesCallingInto(const Registers& at_entry,
                                           const MemoryReader& read) const override;
  // mov eax, nr; syscall; ret.
  std::vector<uint8_t> SyscallStub(int nr) const override;

 private:
  X86_64Arch();
};

}  // namespace rwd::arch
