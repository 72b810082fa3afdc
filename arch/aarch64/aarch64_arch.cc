// AArch64Arch: registers, syscall ABI and instruction facts. The gdb register
// table lives in aarch64_gdb_registers.cc, the trap-site scan in
// aarch64_trap_scan.cc, the host operations in aarch64_host.cc.
#include "arch/aarch64/aarch64_arch.h"

#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

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
// Software step: the kernel sets it in the saved pstate to single-step.
constexpr uint64_t kPstateSs = uint64_t{1} << 21;

constexpr uint8_t kXzr = 31;

// The vDSO's clock functions (arch/arm64/kernel/vdso/vdso.lds.S).
// __kernel_rt_sigreturn is the signal trampoline and must stay.
constexpr std::array<VdsoFunction, 3> kVdsoFunctions = {{
    {"__kernel_clock_gettime", "clock_gettime"},
    {"__kernel_gettimeofday", "gettimeofday"},
    {"__kernel_clock_getres", "clock_getres"},
}};

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

AArch64Arch::AArch64Arch() : syscalls_(AArch64SyscallRows(), AArch64UnsupportedSyscallNames()) {}

uint64_t AArch64Arch::Pc(const Registers& r) const { return r.Word(kA64Pc); }
void AArch64Arch::SetPc(Registers& r, uint64_t pc) const { r.SetWord(kA64Pc, pc); }
uint64_t AArch64Arch::Sp(const Registers& r) const { return r.Word(kA64Sp); }

int64_t AArch64Arch::SyscallNumber(const Registers& r) const {
  return static_cast<int64_t>(r.Word(kA64X8));
}
void AArch64Arch::SetSyscallNumber(Registers& r, int64_t nr) const {
  r.SetWord(kA64X8, static_cast<uint64_t>(nr));
}

uint64_t AArch64Arch::SyscallArg(const Registers& r, int i) const {
  CHECK(i >= 0 && i < 6, "syscall argument " + std::to_string(i));
  return r.Word(kA64X0 + i);
}
void AArch64Arch::SetSyscallArg(Registers& r, int i, uint64_t v) const {
  CHECK(i >= 0 && i < 6, "syscall argument " + std::to_string(i));
  r.SetWord(kA64X0 + i, v);
}

int64_t AArch64Arch::SyscallResult(const Registers& r) const {
  return static_cast<int64_t>(r.Word(kA64X0));
}
void AArch64Arch::SetSyscallResult(Registers& r, int64_t v) const {
  r.SetWord(kA64X0, static_cast<uint64_t>(v));
}
uint64_t AArch64Arch::FunctionResult(const Registers& r) const { return r.Word(kA64X0); }

void AArch64Arch::RewindToSyscallInsn(Registers& r) const {
  r.SetWord(kA64Pc, r.Word(kA64Pc) - kA64InsnBytes);
}

void AArch64Arch::SetupSyscall(Registers& r, uint64_t insn_addr, int64_t nr,
                               std::span<const uint64_t, 6> args) const {
  r.SetWord(kA64Pc, insn_addr);
  r.SetWord(kA64X8, static_cast<uint64_t>(nr));
  for (int i = 0; i < 6; ++i) r.SetWord(kA64X0 + i, args[i]);
}

bool AArch64Arch::SameValues(const Registers& a, const Registers& b) const {
  Registers x = a;
  Registers y = b;
  x.SetWord(kA64Pstate, x.Word(kA64Pstate) & ~kNzcvMask);
  y.SetWord(kA64Pstate, y.Word(kA64Pstate) & ~kNzcvMask);
  return SameProgramState(x, y);
}

bool AArch64Arch::SameProgramState(const Registers& a, const Registers& b) const {
  Registers x = a;
  Registers y = b;
  ClearStopArtifacts(x);
  ClearStopArtifacts(y);
  for (size_t i = 0; i < kA64NumGpWords; ++i) {
    if (x.Word(i) != y.Word(i)) return false;
  }
  return true;
}

std::span<const uint8_t> AArch64Arch::SyscallStopClobberedWords() const {
  return kClobberedAtSyscallStop;
}

std::span<const Regset> AArch64Arch::ThreadRegsets() const { return kThreadRegsets; }

void AArch64Arch::ClearStopArtifacts(Registers& r) const {
  for (uint8_t word : kClobberedAtSyscallStop) r.SetWord(word, 0);
  r.SetWord(kA64Pstate, r.Word(kA64Pstate) & ~kPstateSs);
}

std::string AArch64Arch::DescribeRegisters(const Registers& r) const {
  std::string out;
  auto add = [&out](const char* name, uint64_t v) {
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%s%s=0x%" PRIx64, out.empty() ? "" : " ", name, v);
    out += buf;
  };
  add("pc", r.Word(kA64Pc));
  add("sp", r.Word(kA64Sp));
  for (int i = 0; i <= 30; ++i) {
    char name[8];
    std::snprintf(name, sizeof(name), "x%d", i);
    add(name, r.Word(i));
  }
  add("pstate", r.Word(kA64Pstate));
  return out;
}

std::span<const uint8_t> AArch64Arch::SyscallInsn() const { return kSyscallInsn; }
std::span<const uint8_t> AArch64Arch::BreakpointInsn() const { return kBreakpointInsn; }

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

std::span<const VdsoFunction> AArch64Arch::VdsoFunctions() const { return kVdsoFunctions; }

}  // namespace rwd::arch
