// X86_64Arch: its description (registers, syscall ABI, instruction facts)
// and instruction decoding. The gdb register table lives in
// x86_64_gdb_registers.cc, the trap-site scan in x86_64_trap_scan.cc, the
// host operations in x86_64_host.cc (X86_64Host).
#include "arch/x86_64/x86_64_arch.h"

#include <array>
#include <string>

#include "arch/x86_64/syscall_numbers.h"
#include "arch/x86_64/x86_64_cpu_features.h"
#include "arch/x86_64/x86_64_host.h"
#include "arch/x86_64/x86_64_trap_scan.h"
#include "base/check.h"

#if defined(__x86_64__)
#include <asm/prctl.h>
#include <sys/syscall.h>
#endif

namespace rwd::arch {

namespace {

// Syscall argument registers of the x86-64 syscall ABI (r10, not rcx, holds
// the fourth: the syscall instruction clobbers rcx).
constexpr std::array<uint8_t, 6> kArgRegs = {kX86Rdi, kX86Rsi, kX86Rdx, kX86R10, kX86R8, kX86R9};

// Registers word of each x86 register number (rax=0 ... r15=15 as ModRM and
// REX encode them).
constexpr std::array<uint8_t, 16> kWordOfRegNumber = {
    kX86Rax, kX86Rcx, kX86Rdx, kX86Rbx, kX86Rsp, kX86Rbp, kX86Rsi, kX86Rdi,
    kX86R8,  kX86R9,  kX86R10, kX86R11, kX86R12, kX86R13, kX86R14, kX86R15};

constexpr std::array<uint8_t, 2> kSyscallInsn = {0x0f, 0x05};
constexpr std::array<uint8_t, 1> kBreakpointInsn = {0xcc};

constexpr size_t kMaxInsnBytes = 15;

// arch_prctl's number and ARCH_SET_CPUID (<asm/prctl.h>) as plain values:
// the tracee's cpuid-faulting syscall is described on any host.
constexpr uint64_t kSysArchPrctl = 158;
constexpr uint64_t kArchSetCpuid = 0x1012;
#if defined(__x86_64__)
static_assert(kSysArchPrctl == SYS_arch_prctl);
static_assert(kArchSetCpuid == ARCH_SET_CPUID);
#endif

// `syscall` copies rflags into r11, with the trap flag while the kernel
// single-steps the thread.
constexpr uint64_t kTrapFlag = 0x100;
constexpr std::array<WordBits, 1> kStopArtifacts = {{{kX86R11, kTrapFlag}}};
// The syscall number at a syscall stop, kept after the syscall returns until
// the thread next enters the kernel; -1 after an exception or a signal.
constexpr std::array<uint8_t, 1> kKernelWords = {kX86OrigRax};
constexpr std::array<WordBits, 1> kConditionFlags = {{{kX86Eflags, ~uint64_t{0}}}};

// The rt_sigframe at a handler's first instruction: the return address (8
// bytes), then the ucontext: uc_flags, uc_link, uc_stack (40 bytes) and the
// sigcontext, whose words 19, 20 and 22 are err, trapno and cr2.
constexpr uint64_t kSigcontextAtSp = 8 + 40;
constexpr std::array<uint64_t, 3> kSignalFrameTrapWords = {
    kSigcontextAtSp + 19 * 8, kSigcontextAtSp + 20 * 8, kSigcontextAtSp + 22 * 8};

// eflags bits that rdrand/rdseed define: CF=1 on success, the rest cleared.
constexpr uint64_t kCf = 1u << 0;
constexpr uint64_t kPf = 1u << 2;
constexpr uint64_t kAf = 1u << 4;
constexpr uint64_t kZf = 1u << 6;
constexpr uint64_t kSf = 1u << 7;
constexpr uint64_t kOf = 1u << 11;

constexpr std::array<VdsoFunction, 10> kVdsoFunctions = {{
    {"clock_gettime", "clock_gettime"},
    {"__vdso_clock_gettime", "clock_gettime"},
    {"gettimeofday", "gettimeofday"},
    {"__vdso_gettimeofday", "gettimeofday"},
    {"time", "time"},
    {"__vdso_time", "time"},
    {"getcpu", "getcpu"},
    {"__vdso_getcpu", "getcpu"},
    {"clock_getres", "clock_getres"},
    {"__vdso_clock_getres", "clock_getres"},
}};

// Order of DescribeRegisters: the registers a reader looks at first.
constexpr std::array<NamedWord, kX86NumGpWords> kDescribeOrder = {{
    {"rip", kX86Rip},       {"rsp", kX86Rsp},        {"rax", kX86Rax},
    {"rbx", kX86Rbx},       {"rcx", kX86Rcx},        {"rdx", kX86Rdx},
    {"rsi", kX86Rsi},       {"rdi", kX86Rdi},        {"rbp", kX86Rbp},
    {"r8", kX86R8},         {"r9", kX86R9},          {"r10", kX86R10},
    {"r11", kX86R11},       {"r12", kX86R12},        {"r13", kX86R13},
    {"r14", kX86R14},       {"r15", kX86R15},        {"orig_rax", kX86OrigRax},
    {"eflags", kX86Eflags}, {"fs_base", kX86FsBase}, {"gs_base", kX86GsBase},
    {"cs", kX86Cs},         {"ss", kX86Ss},          {"ds", kX86Ds},
    {"es", kX86Es},         {"fs", kX86Fs},          {"gs", kX86Gs},
}};

void RequireValues(std::span<const uint64_t> values, size_t n, const char* insn) {
  CHECK(values.size() >= n, std::string(insn) + " needs " + std::to_string(n) +
                                " recorded values, got " + std::to_string(values.size()));
}

bool StartsWith(std::span<const uint8_t> code, std::span<const uint8_t> bytes) {
  if (code.size() < bytes.size()) return false;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (code[i] != bytes[i]) return false;
  }
  return true;
}

bool IsRex(uint8_t b) { return (b & 0xf0) == 0x40; }

// Legacy prefixes that leave rdrand/rdseed what they are: operand size
// (handled by the caller), address size and segment overrides.
bool IsNeutralPrefix(uint8_t b) {
  switch (b) {
    case 0x66:
    case 0x67:
    case 0x26:
    case 0x2e:
    case 0x36:
    case 0x3e:
    case 0x64:
    case 0x65:
      return true;
  }
  return false;
}

// rdrand/rdseed: prefixes, 0f c7 /6 or /7 with a register operand. Decoded
// as the CPU does, since whatever it would execute must be recorded: a REX
// counts only right before the opcode (a REX followed by a legacy prefix is
// ignored). f2/f3 select other instructions (f3 0f c7 /7 is rdpid) and lock
// makes it undefined, so those are not ours.
TrapInsn DecodeRandomInsn(std::span<const uint8_t> code) {
  size_t i = 0;
  bool operand_size_prefix = false;
  uint8_t rex = 0;
  for (; i < code.size(); ++i) {
    const uint8_t b = code[i];
    if (IsRex(b)) {
      rex = b;
    } else if (IsNeutralPrefix(b)) {
      operand_size_prefix |= b == 0x66;
      rex = 0;
    } else {
      break;
    }
  }
  if (i + 3 > code.size() || i + 3 > kMaxInsnBytes) return {};
  if (code[i] != 0x0f || code[i + 1] != 0xc7) return {};
  const uint8_t modrm = code[i + 2];
  if ((modrm >> 6) != 3) return {};
  TrapInsn insn;
  switch ((modrm >> 3) & 7) {
    case 6:
      insn.kind = TrapInsnKind::kRdrand;
      break;
    case 7:
      insn.kind = TrapInsnKind::kRdseed;
      break;
    default:
      return {};
  }
  const int reg_number = (modrm & 7) | ((rex & 0x1) << 3);
  insn.dest_reg = static_cast<int8_t>(kWordOfRegNumber[reg_number]);
  insn.operand_bytes = (rex & 0x8) ? 8 : operand_size_prefix ? 2 : 4;
  insn.length = static_cast<uint8_t>(i + 3);
  return insn;
}

}  // namespace

const X86_64Arch& X86_64Arch::Instance() {
  // Never destroyed, so it stays usable from other objects' static destructors.
  static const X86_64Arch* const instance = new X86_64Arch();
  return *instance;
}

// The xsave size is asked of the host: the register table's FP regset is
// the host's NT_X86_XSTATE.
X86_64Arch::X86_64Arch()
    : Arch(X86_64Description(X86_64HostXsaveSize()),
           SyscallTable(X86_64SyscallRows(), X86_64UnsupportedSyscallNames()),
           X86_64Host::Instance()) {}

ArchDescription X86_64Description(size_t xsave_size) {
  return ArchDescription{
      .id = ArchId::kX86_64,
      .registers = X86_64RegisterDescription(xsave_size),
      .pc_word = kX86Rip,
      .sp_word = kX86Rsp,
      .syscall_number_word = kX86OrigRax,
      .syscall_insn_number_word = kX86Rax,
      .syscall_arg_words = kArgRegs,
      .syscall_result_word = kX86Rax,
      .function_result_word = kX86Rax,
      .clone_args = {},
      .syscall_stop_clobbered_words = {},
      .stop_artifacts = kStopArtifacts,
      .kernel_words = kKernelWords,
      .condition_flags = kConditionFlags,
      .describe_order = kDescribeOrder,
      .syscall_insn = kSyscallInsn,
      .breakpoint_insn = kBreakpointInsn,
      .breakpoint_trap_pc_offset = 1,
      .disassembler = &kX86_64Capstone,
      .vdso_functions = kVdsoFunctions,
      .thread_regsets = {},
      .signal_frame_trap_words = kSignalFrameTrapWords,
      .watchpoint_traps_before_access = false,
      .audit_arch = 0xc000003e,  // AUDIT_ARCH_X86_64
      .has_syscall_buffer = true,
      .usable_cpu_features = X86_64UsableCpuFeatures,
      .vector_register_values = X86_64VectorRegisterValues,
      .cpuid_faulting_syscall =
          std::array<uint64_t, 7>{kSysArchPrctl, kArchSetCpuid, 0, 0, 0, 0, 0},
  };
}

TrapInsn X86_64Arch::DecodeTrapInsn(std::span<const uint8_t> code) const {
  static constexpr std::array<uint8_t, 2> kRdtsc = {0x0f, 0x31};
  static constexpr std::array<uint8_t, 3> kRdtscp = {0x0f, 0x01, 0xf9};
  static constexpr std::array<uint8_t, 2> kCpuid = {0x0f, 0xa2};
  if (StartsWith(code, kRdtsc)) return {.kind = TrapInsnKind::kRdtsc, .length = 2};
  if (StartsWith(code, kRdtscp)) return {.kind = TrapInsnKind::kRdtscp, .length = 3};
  if (StartsWith(code, kCpuid)) return {.kind = TrapInsnKind::kCpuid, .length = 2};
  return DecodeRandomInsn(code);
}

std::optional<size_t> X86_64Arch::InterruptibleInsnLength(std::span<const uint8_t> code) const {
  // Prefixes (legacy and REX, at most the 15-byte instruction limit), at
  // least one of them rep/repne, then a string opcode: movs, cmps, stos,
  // lods, scas, ins, outs.
  bool repeated = false;
  size_t at = 0;
  for (; at < code.size() && at < 14; ++at) {
    uint8_t b = code[at];
    if (b == 0xf2 || b == 0xf3) {
      repeated = true;
    } else if (!(b == 0x66 || b == 0x67 || b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e ||
                 b == 0x64 || b == 0x65 || (b >= 0x40 && b <= 0x4f))) {
      break;
    }
  }
  if (!repeated || at >= code.size()) return std::nullopt;
  uint8_t op = code[at];
  bool string_op = (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) ||
                   (op >= 0x6c && op <= 0x6f);
  if (!string_op) return std::nullopt;
  return at + 1;
}

void X86_64Arch::ApplyTrapInsn(Registers& r, const TrapInsn& insn,
                               std::span<const uint64_t> values) const {
  // 32-bit results zero-extend into the 64-bit registers, as the hardware
  // does for every 32-bit register write.
  auto low32 = [](uint64_t v) { return v & 0xffffffffu; };
  switch (insn.kind) {
    case TrapInsnKind::kRdtsc:
      RequireValues(values, 1, "rdtsc");
      r.SetWord(kX86Rax, low32(values[0]));
      r.SetWord(kX86Rdx, values[0] >> 32);
      break;
    case TrapInsnKind::kRdtscp:
      RequireValues(values, 2, "rdtscp");
      r.SetWord(kX86Rax, low32(values[0]));
      r.SetWord(kX86Rdx, values[0] >> 32);
      r.SetWord(kX86Rcx, low32(values[1]));
      break;
    case TrapInsnKind::kCpuid:
      RequireValues(values, 4, "cpuid");
      r.SetWord(kX86Rax, low32(values[0]));
      r.SetWord(kX86Rbx, low32(values[1]));
      r.SetWord(kX86Rcx, low32(values[2]));
      r.SetWord(kX86Rdx, low32(values[3]));
      break;
    case TrapInsnKind::kRdrand:
    case TrapInsnKind::kRdseed: {
      RequireValues(values, 1, insn.kind == TrapInsnKind::kRdrand ? "rdrand" : "rdseed");
      CHECK(insn.dest_reg >= 0 && insn.dest_reg < kX86NumGpWords,
            "rdrand/rdseed without a destination register");
      const uint64_t old = r.Word(insn.dest_reg);
      uint64_t result;
      switch (insn.operand_bytes) {
        case 2:
          result = (old & ~uint64_t{0xffff}) | (values[0] & 0xffff);
          break;
        case 4:
          result = low32(values[0]);
          break;
        case 8:
          result = values[0];
          break;
        default:
          FATAL("rdrand/rdseed operand size " + std::to_string(insn.operand_bytes) +
                " is not 2, 4 or 8");
      }
      r.SetWord(insn.dest_reg, result);
      const uint64_t flags = r.Word(kX86Eflags) & ~(kOf | kSf | kZf | kAf | kPf);
      r.SetWord(kX86Eflags, flags | kCf);
      break;
    }
    case TrapInsnKind::kNone:
    case TrapInsnKind::kCounterRead:
      FATAL("ApplyTrapInsn on an instruction x86-64 does not trap");
  }
  r.SetWord(kX86Rip, r.Word(kX86Rip) + insn.length);
}

std::vector<TrapSite> X86_64Arch::ScanForTrapSites(std::span<const uint8_t> code, uint64_t addr,
                                                   TrapScanKinds kinds) const {
  return ScanX86_64TrapSites(code, addr, kinds);
}

// mov eax, nr; syscall; ret. The 32-bit mov zero-extends into rax.
std::vector<uint8_t> X86_64Arch::SyscallStub(int nr) const {
  const auto n = static_cast<uint32_t>(nr);
  return {0xb8,
          static_cast<uint8_t>(n),
          static_cast<uint8_t>(n >> 8),
          static_cast<uint8_t>(n >> 16),
          static_cast<uint8_t>(n >> 24),
          kSyscallInsn[0],
          kSyscallInsn[1],
          0xc3};
}


}  // namespace rwd::arch
