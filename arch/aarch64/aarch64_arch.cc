// AArch64Arch: its description (registers, syscall ABI, instruction facts)
// and instruction decoding. The gdb register table lives in
// aarch64_gdb_registers.cc, the trap-site scan in aarch64_trap_scan.cc, the
// host operations in aarch64_host.cc (AArch64Host).
#include "arch/aarch64/aarch64_arch.h"

#include <array>
#include <cstring>
#include <string>

#include "arch/aarch64/aarch64_host.h"
#include "arch/aarch64/aarch64_trap_scan.h"
#include "arch/aarch64/syscall_numbers.h"
#include "base/check.h"

namespace rwd::arch {

namespace {

constexpr std::array<uint8_t, 4> Bytes(uint32_t word) {
  return {static_cast<uint8_t>(word), static_cast<uint8_t>(word >> 8),
          static_cast<uint8_t>(word >> 16), static_cast<uint8_t>(word >> 24)};
}

constexpr std::array<uint8_t, 4> kSyscallInsn = Bytes(a64::kSvc0);
constexpr std::array<uint8_t, 4> kBreakpointInsn = Bytes(a64::kBrk0);
constexpr std::array<uint8_t, 1> kClobberedAtSyscallStop = {kA64X7};
// <elf.h> value, spelled out so that the table compiles on every host.
constexpr int kNtArmTls = 0x401;
constexpr std::array<Regset, 1> kThreadRegsets = {{{kNtArmTls, 16}}};

// NZCV live in pstate bits 31..28; RNDR reports success with all four clear.
constexpr uint64_t kNzcvMask = uint64_t{0xf} << 28;
constexpr std::array<WordBits, 1> kConditionFlags = {{{kA64Pstate, kNzcvMask}}};
// Software step: the kernel sets it in the saved pstate to single-step.
constexpr uint64_t kPstateSs = uint64_t{1} << 21;
constexpr std::array<WordBits, 1> kStopArtifacts = {{{kA64Pstate, kPstateSs}}};

constexpr std::array<NamedWord, kA64NumGpWords> kDescribeOrder = {{
    {"pc", kA64Pc},   {"sp", kA64Sp},   {"x0", 0},   {"x1", 1},   {"x2", 2},   {"x3", 3},
    {"x4", 4},        {"x5", 5},        {"x6", 6},   {"x7", 7},   {"x8", 8},   {"x9", 9},
    {"x10", 10},      {"x11", 11},      {"x12", 12}, {"x13", 13}, {"x14", 14}, {"x15", 15},
    {"x16", 16},      {"x17", 17},      {"x18", 18}, {"x19", 19}, {"x20", 20}, {"x21", 21},
    {"x22", 22},      {"x23", 23},      {"x24", 24}, {"x25", 25}, {"x26", 26}, {"x27", 27},
    {"x28", 28},      {"x29", 29},      {"x30", 30}, {"pstate", kA64Pstate},
}};

constexpr uint8_t kXzr = 31;

// The vDSO's clock functions (arch/arm64/kernel/vdso/vdso.lds.S).
// __kernel_rt_sigreturn is the signal trampoline and must stay.
constexpr std::array<VdsoFunction, 3> kVdsoFunctions = {{
    {"__kernel_clock_gettime", "clock_gettime"},
    {"__kernel_gettimeofday", "gettimeofday"},
    {"__kernel_clock_getres", "clock_getres"},
}};

// No cpuid to narrow: a program reads the features from the kernel
// (AT_HWCAP), so all of them may be used.
std::string UsableCpuFeatures(std::string_view host_features, CpuidMask) {
  return std::string(host_features);
}

void RequireValues(std::span<const uint64_t> values, size_t n, const char* insn) {
  CHECK(values.size() >= n, std::string(insn) + " needs " + std::to_string(n) +
                                " recorded values, got " + std::to_string(values.size()));
}

uint32_t WordAt(std::span<const uint8_t> code) {
  return static_cast<uint32_t>(code[0]) | static_cast<uint32_t>(code[1]) << 8 |
         static_cast<uint32_t>(code[2]) << 16 | static_cast<uint32_t>(code[3]) << 24;
}

}  // namespace

const AArch64Arch& AArch64Arch::Instance() {
  // Never destroyed, so it stays usable from other objects' static destructors.
  static const AArch64Arch* const instance = new AArch64Arch();
  return *instance;
}

AArch64Arch::AArch64Arch()
    : Arch(AArch64Description(),
           SyscallTable(AArch64SyscallRows(), AArch64UnsupportedSyscallNames()),
           AArch64Host::Instance()) {}

ArchDescription AArch64Description() {
  return ArchDescription{
      .id = ArchId::kAArch64,
      .registers = AArch64RegisterDescription(),
      .pc_word = kA64Pc,
      .sp_word = kA64Sp,
      .syscall_number_word = kA64X8,
      .syscall_insn_number_word = kA64X8,
      .syscall_arg_words = {0, 1, 2, 3, 4, 5},
      .syscall_result_word = kA64X0,
      .function_result_word = kA64X0,
      .clone_args = {.flags = 0, .stack = 1, .parent_tid = 2, .child_tid = 4, .tls = 3},
      .syscall_stop_clobbered_words = kClobberedAtSyscallStop,
      .stop_artifacts = kStopArtifacts,
      .condition_flags = kConditionFlags,
      .describe_order = kDescribeOrder,
      .syscall_insn = kSyscallInsn,
      .breakpoint_insn = kBreakpointInsn,
      .breakpoint_trap_pc_offset = 0,
      .disassembler = &kAArch64Capstone,
      .vdso_functions = kVdsoFunctions,
      .thread_regsets = kThreadRegsets,
      // Its frame gains an ESR record after a debug trap, which shifts what
      // follows; clearing words cannot undo that.
      .signal_frame_trap_words = {},
      .watchpoint_traps_before_access = true,
      .audit_arch = 0xc00000b7,  // AUDIT_ARCH_AARCH64
      // preload/ has no AArch64 entry code or site patcher yet: the traced path.
      .has_syscall_buffer = false,
      .usable_cpu_features = UsableCpuFeatures,
      .vector_register_values = AArch64VectorRegisterValues,
      // AArch64 has no cpuid.
      .cpuid_faulting_syscall = std::nullopt,
  };
}

TrapInsn AArch64Arch::DecodeTrapInsn(std::span<const uint8_t> code) const {
  if (code.size() < kA64InsnBytes) return {};
  const uint32_t word = WordAt(code);
  TrapInsn insn;
  switch (word & a64::kMrsMask) {
    case a64::kMrsCntvct:
    case a64::kMrsCntvctss:
    case a64::kMrsCntpct:
    case a64::kMrsCntpctss:
      insn.kind = TrapInsnKind::kCounterRead;
      break;
    case a64::kMrsRndr:
      insn.kind = TrapInsnKind::kRdrand;
      break;
    case a64::kMrsRndrrs:
      insn.kind = TrapInsnKind::kRdseed;
      break;
    default:
      return {};
  }
  insn.length = kA64InsnBytes;
  insn.dest_reg = static_cast<int8_t>(word & 0x1f);
  insn.operand_bytes = 8;
  return insn;
}

void AArch64Arch::ApplyTrapInsn(Registers& r, const TrapInsn& insn,
                                std::span<const uint64_t> values) const {
  CHECK(insn.dest_reg >= 0 && insn.dest_reg <= kXzr, "trap instruction without a register");
  switch (insn.kind) {
    case TrapInsnKind::kCounterRead:
      RequireValues(values, 1, "counter read");
      break;
    case TrapInsnKind::kRdrand:
    case TrapInsnKind::kRdseed:
      RequireValues(values, 1, "mrs RNDR/RNDRRS");
      r.SetWord(kA64Pstate, r.Word(kA64Pstate) & ~kNzcvMask);
      break;
    default:
      FATAL("ApplyTrapInsn on an instruction AArch64 does not trap");
  }
  // Register number 31 is xzr for mrs, not sp: the value is discarded.
  if (insn.dest_reg != kXzr) r.SetWord(insn.dest_reg, values[0]);
  r.SetWord(kA64Pc, r.Word(kA64Pc) + kA64InsnBytes);
}

std::vector<TrapSite> AArch64Arch::ScanForTrapSites(std::span<const uint8_t> code, uint64_t addr,
                                                    TrapScanKinds) const {
  return ScanAArch64TrapSites(code, addr);
}

std::vector<uint8_t> AArch64Arch::SyscallStub(int nr) const {
  CHECK(nr >= 0 && nr <= 0xffff, "syscall number " + std::to_string(nr) + " does not fit movz");
  std::vector<uint8_t> stub;
  for (uint32_t word : {a64::kMovzX8 | static_cast<uint32_t>(nr) << 5, a64::kSvc0, a64::kRet}) {
    const std::array<uint8_t, 4> b = Bytes(word);
    stub.insert(stub.end(), b.begin(), b.end());
  }
  return stub;
}


}  // namespace rwd::arch
