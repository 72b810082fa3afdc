// Unit tests of the AArch64 backend, run on any host: register accessors and
// the syscall ABI, instruction encodings, trap instruction decoding and
// emulation, the trap-site scan, syscall stubs, the gdb register table and
// target description. (The host operations run in the arm64 VM suite,
// scripts/aarch64/run_vm_suite.sh.)
#include <capstone/capstone.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "arch/aarch64/aarch64_arch.h"
#include "arch/arch.h"

namespace rwd::arch {
namespace {

const Arch& A64() { return AArch64Arch::Instance(); }

using Bytes = std::vector<uint8_t>;

Bytes Le(std::initializer_list<uint32_t> words) {
  Bytes out;
  for (uint32_t w : words) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(w >> (8 * i)));
  }
  return out;
}

constexpr uint32_t kNop = 0xd503201f;
constexpr uint32_t kMrsCntfrqX0 = 0xd53be000;  // constant: never patched
constexpr uint64_t kPstateSs = uint64_t{1} << 21;

Registers Numbered() {
  Registers r;
  for (size_t i = 0; i < kA64NumGpWords; ++i) r.SetWord(i, 0x1000 + i);
  return r;
}

TEST(AArch64Arch, Identity) {
  EXPECT_EQ(A64().id(), ArchId::kAArch64);
  EXPECT_EQ(A64().name(), "aarch64");
  EXPECT_EQ(A64().gp_regs_size(), 272u);  // sizeof(struct user_pt_regs)
  EXPECT_LE(A64().gp_regs_size(), Registers::capacity_bytes());
  EXPECT_EQ(ArchFor(ArchId::kAArch64), &A64());
  EXPECT_EQ(ArchByName("aarch64"), &A64());
  EXPECT_NE(ArchByName("x86_64"), &A64());
}

TEST(AArch64Arch, AccessorsUseUserPtRegsWords) {
  Registers r = Numbered();
  EXPECT_EQ(A64().Pc(r), 0x1000u + 32);
  EXPECT_EQ(A64().Sp(r), 0x1000u + 31);
  EXPECT_EQ(A64().SyscallNumber(r), 0x1000 + 8);  // x8
  EXPECT_EQ(A64().SyscallResult(r), 0x1000 + 0);  // x0
  for (int i = 0; i < 6; ++i) EXPECT_EQ(A64().SyscallArg(r, i), 0x1000u + i) << i;

  A64().SetPc(r, 0x4000);
  A64().SetSyscallNumber(r, 113);
  A64().SetSyscallResult(r, -2);
  A64().SetSyscallArg(r, 5, 55);
  EXPECT_EQ(r.Word(32), 0x4000u);
  EXPECT_EQ(r.Word(8), 113u);
  EXPECT_EQ(static_cast<int64_t>(r.Word(0)), -2);
  EXPECT_EQ(r.Word(5), 55u);
}

TEST(AArch64Arch, RewindToSyscallInsnOnlyMovesPcBack) {
  Registers r = Numbered();
  Registers want = r;
  want.SetWord(32, r.Word(32) - 4);
  A64().RewindToSyscallInsn(r);
  EXPECT_EQ(r, want);  // x8 and (at entry) x0 still hold number and argument
}

TEST(AArch64Arch, NoInstructionIsInterruptedPartWay) {
  // ldr x0, [x1]. (FEAT_MOPS copies, which can stop part-way, are not
  // recognized: no CPU this backend has met implements them.)
  std::vector<uint8_t> code = {0x20, 0x00, 0x40, 0xf9};
  EXPECT_EQ(A64().InterruptibleInsnLength(code), std::nullopt);
}

TEST(AArch64Arch, SetupSyscall) {
  Registers r = Numbered();
  const std::array<uint64_t, 6> args = {10, 11, 12, 13, 14, 15};
  A64().SetupSyscall(r, 0x7000, 220, args);
  EXPECT_EQ(A64().Pc(r), 0x7000u);
  EXPECT_EQ(r.Word(8), 220u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(r.Word(i), args[i]);
  EXPECT_EQ(r.Word(6), 0x1006u);
  EXPECT_EQ(A64().Sp(r), 0x1000u + 31);
}

TEST(AArch64Arch, StopArtifactsAreX7AndSoftwareStep) {
  std::span<const uint8_t> clobbered = A64().SyscallStopClobberedWords();
  ASSERT_EQ(clobbered.size(), 1u);
  EXPECT_EQ(clobbered[0], 7);

  Registers a = Numbered();
  Registers b = a;
  b.SetWord(7, 1);                               // read at a syscall-exit stop
  b.SetWord(33, a.Word(33) | kPstateSs);         // read after a single-step
  EXPECT_NE(a, b);
  EXPECT_TRUE(A64().SameProgramState(a, b));
  A64().ClearStopArtifacts(a);
  A64().ClearStopArtifacts(b);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.Word(7), 0u);
  EXPECT_EQ(a.Word(33) & kPstateSs, 0u);

  for (size_t i = 0; i < kA64NumGpWords; ++i) {
    if (i == 7) continue;
    Registers c = Numbered();
    c.SetWord(i, c.Word(i) ^ 0x10000);
    EXPECT_FALSE(A64().SameProgramState(Numbered(), c)) << "word " << i;
  }
}

TEST(AArch64Arch, DescribeRegisters) {
  const std::string text = A64().DescribeRegisters(Numbered());
  EXPECT_EQ(text.rfind("pc=0x1020 sp=0x101f x0=0x1000 ", 0), 0u) << text;
  EXPECT_NE(text.find(" x30=0x101e "), std::string::npos) << text;
  EXPECT_NE(text.find(" pstate=0x1021"), std::string::npos) << text;
}

TEST(AArch64Arch, InstructionBytes) {
  auto bytes = [](std::span<const uint8_t> s) { return Bytes(s.begin(), s.end()); };
  EXPECT_EQ(bytes(A64().SyscallInsn()), Le({0xd4000001}));     // svc #0
  EXPECT_EQ(bytes(A64().BreakpointInsn()), Le({0xd4200000}));  // brk #0
  EXPECT_EQ(A64().BreakpointTrapPcOffset(), 0u);
  // movz x8, #113; svc #0; ret
  EXPECT_EQ(A64().SyscallStub(113), Le({0xd2800e28, 0xd4000001, 0xd65f03c0}));
  EXPECT_EQ(A64().SyscallStub(0xffff), Le({0xd29fffe8, 0xd4000001, 0xd65f03c0}));
}

TEST(AArch64Arch, StubsDisassembleAsIntended) {
  csh handle;
  ASSERT_EQ(cs_open(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, &handle), CS_ERR_OK);
  const Bytes stub = A64().SyscallStub(169);
  cs_insn* insn = nullptr;
  const size_t n = cs_disasm(handle, stub.data(), stub.size(), 0x1000, 0, &insn);
  ASSERT_EQ(n, 3u);
  // Capstone 4 says movz, later versions the mov alias.
  EXPECT_TRUE(std::string(insn[0].mnemonic) == "movz" || std::string(insn[0].mnemonic) == "mov")
      << insn[0].mnemonic;
  EXPECT_EQ(std::string(insn[0].op_str), "x8, #0xa9");
  EXPECT_EQ(std::string(insn[1].mnemonic) + " " + insn[1].op_str, "svc #0");
  EXPECT_EQ(std::string(insn[2].mnemonic), "ret");
  cs_free(insn, n);
  cs_close(&handle);
}

TEST(AArch64Arch, DecodeTrapInsn) {
  struct Case {
    uint32_t word;
    TrapInsnKind kind;
    int dest;
  };
  const Case cases[] = {
      {0xd53be043, TrapInsnKind::kCounterRead, 3},   // mrs x3, cntvct_el0
      {0xd53be0c0, TrapInsnKind::kCounterRead, 0},   // mrs x0, cntvctss_el0
      {0xd53be03e, TrapInsnKind::kCounterRead, 30},  // mrs x30, cntpct_el0
      {0xd53be0bf, TrapInsnKind::kCounterRead, 31},  // mrs xzr, cntpctss_el0
      {0xd53b2405, TrapInsnKind::kRdrand, 5},        // mrs x5, rndr
      {0xd53b2429, TrapInsnKind::kRdseed, 9},        // mrs x9, rndrrs
      {kMrsCntfrqX0, TrapInsnKind::kNone, -1},
      {0xd53b9d00, TrapInsnKind::kNone, -1},  // PMU cycle counter: not emulated
      {0xd51be040, TrapInsnKind::kNone, -1},  // msr cntvct_el0, x0 (a write)
      {kNop, TrapInsnKind::kNone, -1},
  };
  for (const Case& c : cases) {
    const TrapInsn insn = A64().DecodeTrapInsn(Le({c.word}));
    EXPECT_EQ(insn.kind, c.kind) << std::hex << c.word;
    if (c.kind == TrapInsnKind::kNone) continue;
    EXPECT_EQ(insn.length, 4u);
    EXPECT_EQ(insn.dest_reg, c.dest) << std::hex << c.word;
  }
  EXPECT_EQ(A64().DecodeTrapInsn(Bytes{0x43, 0xe0, 0x3b}).kind, TrapInsnKind::kNone);
}

TEST(AArch64Arch, ApplyCounterRead) {
  Registers r = Numbered();
  const TrapInsn insn = A64().DecodeTrapInsn(Le({0xd53be043}));
  const uint64_t value = 0x123456789abcull;
  A64().ApplyTrapInsn(r, insn, std::vector<uint64_t>{value});
  EXPECT_EQ(r.Word(3), value);
  EXPECT_EQ(A64().Pc(r), 0x1020u + 4);
  Registers want = Numbered();
  want.SetWord(3, value);
  want.SetWord(32, 0x1024);
  EXPECT_EQ(r, want);
}

TEST(AArch64Arch, ApplyToXzrWritesNothing) {
  Registers r = Numbered();
  A64().ApplyTrapInsn(r, A64().DecodeTrapInsn(Le({0xd53be05f})), std::vector<uint64_t>{7});
  Registers want = Numbered();
  want.SetWord(32, 0x1024);
  EXPECT_EQ(r, want);  // in particular sp (word 31) is untouched
}

TEST(AArch64Arch, ApplyRandomClearsNzcv) {
  Registers r = Numbered();
  r.SetWord(33, 0xf0000000 | 0x3c5);
  A64().ApplyTrapInsn(r, A64().DecodeTrapInsn(Le({0xd53b2405})), std::vector<uint64_t>{42});
  EXPECT_EQ(r.Word(5), 42u);
  EXPECT_EQ(r.Word(33), 0x3c5u);
}

TEST(AArch64Arch, ScanFindsCounterAndRandomReads) {
  const Bytes code = Le({kNop, 0xd53be041, kNop, kMrsCntfrqX0, 0xd53b2402, 0xd53b9d00, kNop,
                         0xd53be0c7});
  const std::vector<TrapSite> sites = A64().ScanForTrapSites(code, 0x400000, {});
  std::vector<std::pair<uint64_t, TrapInsnKind>> got;
  for (const TrapSite& s : sites) got.push_back({s.addr, s.insn.kind});
  const std::vector<std::pair<uint64_t, TrapInsnKind>> want = {
      {0x400004, TrapInsnKind::kCounterRead},
      {0x400010, TrapInsnKind::kRdrand},
      {0x40001c, TrapInsnKind::kCounterRead},
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(sites[0].insn.dest_reg, 1);
  EXPECT_EQ(sites[2].insn.dest_reg, 7);
}

TEST(AArch64Arch, ScanOnlyLooksAtAlignedWords) {
  // The counter read's bytes start 2 bytes in: not an instruction.
  Bytes code = Le({kNop, 0xd53be041, kNop});
  const Bytes shifted(code.begin() + 2, code.end());
  EXPECT_TRUE(A64().ScanForTrapSites(shifted, 0x1000, {}).empty());
  // Code whose first byte sits at an unaligned address: words at aligned
  // addresses are found.
  EXPECT_EQ(A64().ScanForTrapSites(shifted, 0x1002, {}).size(), 1u);
  EXPECT_EQ(A64().ScanForTrapSites(shifted, 0x1002, {})[0].addr, 0x1004u);
  EXPECT_TRUE(A64().ScanForTrapSites({}, 0, {}).empty());
}

TEST(AArch64Arch, VdsoFunctionsMapToSyscalls) {
  std::set<std::pair<std::string, std::string>> got;
  for (const VdsoFunction& f : A64().VdsoFunctions()) {
    got.insert({std::string(f.symbol), std::string(f.syscall)});
    EXPECT_NE(A64().syscalls().FindByName(f.syscall), nullptr) << f.syscall;
  }
  const std::set<std::pair<std::string, std::string>> want = {
      {"__kernel_clock_gettime", "clock_gettime"},
      {"__kernel_gettimeofday", "gettimeofday"},
      {"__kernel_clock_getres", "clock_getres"},
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(A64().syscalls().FindByName("clock_gettime")->nr, 113);
  EXPECT_EQ(A64().syscalls().FindByName("gettimeofday")->nr, 169);
  EXPECT_EQ(A64().syscalls().FindByName("clock_getres")->nr, 114);
  EXPECT_NE(A64().syscalls().FindByName("clone"), nullptr);
  EXPECT_NE(A64().syscalls().FindByName("openat"), nullptr);
  EXPECT_NE(A64().syscalls().FindByName("close"), nullptr);
}

TEST(AArch64Arch, GdbRegistersFollowGdbNumbering) {
  std::span<const GdbRegister> regs = A64().GdbRegisters();
  ASSERT_EQ(regs.size(), 68u);
  for (int i = 0; i <= 30; ++i) {
    EXPECT_EQ(regs[i].name, "x" + std::to_string(i));
    EXPECT_EQ(regs[i].source, RegSource::kGp);
    EXPECT_EQ(regs[i].offset, 8u * i);
    EXPECT_EQ(regs[i].bitsize, 64);
  }
  EXPECT_EQ(regs[31].name, "sp");
  EXPECT_EQ(regs[31].offset, 31u * 8);
  EXPECT_EQ(regs[32].name, "pc");
  EXPECT_EQ(regs[32].offset, 32u * 8);
  EXPECT_EQ(regs[33].name, "cpsr");
  EXPECT_EQ(regs[33].bitsize, 32);
  EXPECT_EQ(regs[33].offset, 33u * 8);
  for (int i = 0; i < 32; ++i) {
    const GdbRegister& v = regs[34 + i];
    EXPECT_EQ(v.name, "v" + std::to_string(i));
    EXPECT_EQ(v.source, RegSource::kFp);
    EXPECT_EQ(v.bitsize, 128);
    EXPECT_EQ(v.offset, 16u * i);
  }
  EXPECT_EQ(regs[66].name, "fpsr");
  EXPECT_EQ(regs[66].offset, 512u);
  EXPECT_EQ(regs[67].name, "fpcr");
  EXPECT_EQ(regs[67].offset, 516u);
  for (const GdbRegister& reg : regs) {
    const size_t bytes = reg.bitsize / 8;
    const size_t limit = reg.source == RegSource::kGp ? A64().gp_regs_size() : A64().FpRegsetSize();
    EXPECT_LE(reg.offset + bytes, limit) << reg.name;
  }
  EXPECT_EQ(A64().FpRegsetType(), 2);  // NT_PRFPREG
  EXPECT_EQ(A64().FpRegsetSize(), 528u);
}

TEST(AArch64Arch, TargetXmlListsTheTableInOrder) {
  const std::string xml(A64().TargetXml());
  EXPECT_NE(xml.find("<architecture>aarch64</architecture>"), std::string::npos);
  EXPECT_NE(xml.find("<feature name=\"org.gnu.gdb.aarch64.core\">"), std::string::npos);
  EXPECT_NE(xml.find("<feature name=\"org.gnu.gdb.aarch64.fpu\">"), std::string::npos);
  const std::regex reg_re(R"re(<reg name="([a-z0-9]+)" bitsize="([0-9]+)")re");
  std::vector<std::pair<std::string, int>> in_xml;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), reg_re); it != std::sregex_iterator();
       ++it) {
    in_xml.push_back({(*it)[1], std::stoi((*it)[2])});
  }
  std::span<const GdbRegister> regs = A64().GdbRegisters();
  ASSERT_EQ(in_xml.size(), regs.size());
  for (size_t i = 0; i < regs.size(); ++i) {
    EXPECT_EQ(in_xml[i].first, regs[i].name) << i;
    EXPECT_EQ(in_xml[i].second, regs[i].bitsize) << regs[i].name;
  }
  EXPECT_NE(xml.find(R"(<reg name="v0" bitsize="128" type="aarch64v" regnum="34"/>)"),
            std::string::npos);
}

TEST(AArch64Arch, HostFacts) {
  EXPECT_TRUE(A64().WatchpointTrapsBeforeAccess());
  EXPECT_FALSE(A64().CpuidFaultingSyscall().has_value());
  EXPECT_FALSE(A64().host().EnableCpuidFaulting());
#if !defined(__aarch64__)
  // Refused off its host rather than attempted.
  const std::vector<HwWatch> watch = {{0x1000, 8, HwKind::kWrite}};
  EXPECT_EQ(A64().host().SetHwWatchpoints(1, watch).code(), ErrorCode::kUnsupported);
  EXPECT_FALSE(A64().host().TakeHwWatchpointHit(1).has_value());
#endif
}

}  // namespace
}  // namespace rwd::arch
