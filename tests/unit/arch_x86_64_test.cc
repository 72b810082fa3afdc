// Unit tests of the x86-64 backend: register accessors, trap instruction
// decoding and emulation, trap-site scanning, syscall stubs, the gdb register
// table, and the host rdtsc/cpuid/getrandom operations.
#include <capstone/capstone.h>
#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "arch/x86_64/syscall_numbers.h"
#include "arch/x86_64/x86_64_arch.h"

namespace rwd::arch {
namespace {

const Arch& X86() { return X86_64Arch::Instance(); }

using Bytes = std::vector<uint8_t>;

TrapInsn Decode(const Bytes& bytes) { return X86().DecodeTrapInsn(bytes); }

Registers Numbered() {
  Registers r;
  for (size_t i = 0; i < kX86NumGpWords; ++i) r.SetWord(i, 0x1000 + i);
  return r;
}

TEST(X86_64Arch, Identity) {
  EXPECT_EQ(X86().id(), ArchId::kX86_64);
  EXPECT_EQ(X86().name(), "x86_64");
  EXPECT_EQ(X86().gp_regs_size(), 216u);
  EXPECT_EQ(&HostArch(), &X86());
  EXPECT_EQ(ArchFor(ArchId::kX86_64), &X86());
  EXPECT_EQ(ArchByName("x86_64"), &X86());
  EXPECT_EQ(ArchByName("sparc"), nullptr);
}

TEST(X86_64Arch, AccessorsUseUserRegsStructWords) {
  Registers r = Numbered();
  EXPECT_EQ(X86().Pc(r), 0x1000u + 16);            // rip
  EXPECT_EQ(X86().Sp(r), 0x1000u + 19);            // rsp
  EXPECT_EQ(X86().SyscallNumber(r), 0x1000 + 15);  // orig_rax
  EXPECT_EQ(X86().SyscallResult(r), 0x1000 + 10);  // rax
  const int arg_words[] = {14, 13, 12, 7, 9, 8};   // rdi rsi rdx r10 r8 r9
  for (int i = 0; i < 6; ++i) EXPECT_EQ(X86().SyscallArg(r, i), 0x1000u + arg_words[i]) << i;
}

TEST(X86_64Arch, SettersRoundTrip) {
  Registers r;
  X86().SetPc(r, 0x401000);
  X86().SetSyscallNumber(r, 231);
  X86().SetSyscallResult(r, -38);
  for (int i = 0; i < 6; ++i) X86().SetSyscallArg(r, i, 100 + i);
  EXPECT_EQ(X86().Pc(r), 0x401000u);
  EXPECT_EQ(r.Word(kX86Rip), 0x401000u);
  EXPECT_EQ(X86().SyscallNumber(r), 231);
  EXPECT_EQ(r.Word(kX86OrigRax), 231u);
  EXPECT_EQ(X86().SyscallResult(r), -38);
  EXPECT_EQ(r.Word(kX86Rax), static_cast<uint64_t>(-38));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(X86().SyscallArg(r, i), 100u + i);
  EXPECT_EQ(r.Word(kX86R10), 103u);
  EXPECT_EQ(r.Word(kX86Rcx), 0u) << "the 4th argument is r10, never rcx";
}

TEST(X86_64Arch, RewindToSyscallInsn) {
  Registers r;
  r.SetWord(kX86Rip, 0x401002);
  r.SetWord(kX86Rax, static_cast<uint64_t>(-38));  // -ENOSYS at entry
  r.SetWord(kX86OrigRax, 39);
  X86().RewindToSyscallInsn(r);
  EXPECT_EQ(r.Word(kX86Rip), 0x401000u);
  EXPECT_EQ(r.Word(kX86Rax), 39u);
  EXPECT_EQ(r.Word(kX86OrigRax), 39u);
}

TEST(X86_64Arch, SetupSyscall) {
  Registers r = Numbered();
  const std::array<uint64_t, 6> args = {1, 2, 3, 4, 5, 6};
  X86().SetupSyscall(r, 0x7000, 57, args);
  EXPECT_EQ(r.Word(kX86Rip), 0x7000u);
  EXPECT_EQ(r.Word(kX86Rax), 57u) << "the syscall instruction reads rax";
  EXPECT_EQ(r.Word(kX86OrigRax), ~0ull) << "no syscall pending";
  for (int i = 0; i < 6; ++i) EXPECT_EQ(X86().SyscallArg(r, i), args[i]);
  EXPECT_EQ(r.Word(kX86Rsp), Numbered().Word(kX86Rsp));
}

TEST(X86_64Arch, SameProgramStateComparesEveryWordButOrigRax) {
  Registers a = Numbered();
  Registers b = Numbered();
  EXPECT_TRUE(X86().SameProgramState(a, b));
  for (size_t i = 0; i < kX86NumGpWords; ++i) {
    Registers c = a;
    c.SetWord(i, c.Word(i) ^ 1);
    EXPECT_EQ(X86().SameProgramState(a, c), i == kX86OrigRax) << "word " << i;
  }
}

// A point right after a syscall instruction, read at that syscall's exit
// stop and again after a breakpoint or step there: only orig_rax differs.
TEST(X86_64Arch, OrigRaxIsNotPartOfAPoint) {
  Registers at_exit_stop = Numbered();
  at_exit_stop.SetWord(kX86OrigRax, 157);
  Registers after_step = at_exit_stop;
  after_step.SetWord(kX86OrigRax, ~0ull);
  EXPECT_TRUE(X86().SameProgramState(at_exit_stop, after_step));
  X86().ClearStopArtifacts(at_exit_stop);
  X86().ClearStopArtifacts(after_step);
  EXPECT_EQ(at_exit_stop, after_step);
  EXPECT_EQ(at_exit_stop.Word(kX86OrigRax), ~0ull) << "cleared to 'no syscall'";
}

TEST(X86_64Arch, InterruptibleInsnsAreRepeatedStringInsns) {
  auto length = [](std::vector<uint8_t> code) {
    return X86().InterruptibleInsnLength(code);
  };
  EXPECT_EQ(length({0xf3, 0xa4}), 2u);                    // rep movsb
  EXPECT_EQ(length({0xf3, 0x48, 0xab}), 3u);              // rep stosq
  EXPECT_EQ(length({0xf2, 0xae}), 2u);                    // repne scasb
  EXPECT_EQ(length({0x66, 0xf3, 0xa5}), 3u);              // rep movsw
  EXPECT_EQ(length({0xa4}), std::nullopt);                // movsb: one pass
  EXPECT_EQ(length({0xf3, 0x90}), std::nullopt);          // pause
  EXPECT_EQ(length({0xf3, 0x0f, 0xb8, 0xc0}), std::nullopt);  // popcnt
  EXPECT_EQ(length({0xf3}), std::nullopt);                // cut short
  EXPECT_EQ(length({}), std::nullopt);
}

TEST(X86_64Arch, DescribeRegisters) {
  Registers r = Numbered();
  r.SetWord(kX86Rip, 0x401000);
  r.SetWord(kX86Rsp, 0x7ffc0000);
  const std::string text = X86().DescribeRegisters(r);
  EXPECT_EQ(text.rfind("rip=0x401000 rsp=0x7ffc0000 rax=0x100a", 0), 0u) << text;
  for (const char* reg : {" r15=0x1000", " orig_rax=0x100f", " eflags=0x1012", " gs=0x101a"}) {
    EXPECT_NE(text.find(reg), std::string::npos) << reg << " in " << text;
  }
}

TEST(X86_64Arch, InstructionBytes) {
  EXPECT_EQ(Bytes(X86().SyscallInsn().begin(), X86().SyscallInsn().end()), (Bytes{0x0f, 0x05}));
  EXPECT_EQ(Bytes(X86().BreakpointInsn().begin(), X86().BreakpointInsn().end()), (Bytes{0xcc}));
  EXPECT_EQ(X86().BreakpointTrapPcOffset(), 1u);
  EXPECT_EQ(X86().SyscallStub(228), (Bytes{0xb8, 0xe4, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3}));
  EXPECT_EQ(X86().SyscallStub(0x12345), (Bytes{0xb8, 0x45, 0x23, 0x01, 0x00, 0x0f, 0x05, 0xc3}));
}

TEST(X86_64Arch, VdsoFunctionsMapToSyscalls) {
  std::set<std::pair<std::string_view, std::string_view>> got;
  for (const VdsoFunction& f : X86().VdsoFunctions()) got.insert({f.symbol, f.syscall});
  const std::set<std::pair<std::string_view, std::string_view>> want = {
      {"clock_gettime", "clock_gettime"},
      {"__vdso_clock_gettime", "clock_gettime"},
      {"gettimeofday", "gettimeofday"},
      {"__vdso_gettimeofday", "gettimeofday"},
      {"time", "time"},
      {"__vdso_time", "time"},
      {"getcpu", "getcpu"},
      {"__vdso_getcpu", "getcpu"},
      {"clock_getres", "clock_getres"},
      {"__vdso_clock_getres", "clock_getres"}};
  EXPECT_EQ(got, want);
}

TEST(X86_64Arch, SyscallTableIsTheX86Rows) {
  EXPECT_EQ(X86().syscalls().rows().data(), X86_64SyscallRows().data());
  EXPECT_EQ(X86().syscalls().rows().size(), X86_64SyscallRows().size());
}

TEST(X86_64Arch, DecodeTimeAndCpuid) {
  TrapInsn t = Decode({0x0f, 0x31, 0x90});
  EXPECT_EQ(t.kind, TrapInsnKind::kRdtsc);
  EXPECT_EQ(t.length, 2);
  t = Decode({0x0f, 0x01, 0xf9});
  EXPECT_EQ(t.kind, TrapInsnKind::kRdtscp);
  EXPECT_EQ(t.length, 3);
  t = Decode({0x0f, 0xa2});
  EXPECT_EQ(t.kind, TrapInsnKind::kCpuid);
  EXPECT_EQ(t.length, 2);
}

struct RandomCase {
  Bytes bytes;
  TrapInsnKind kind;
  int8_t dest_reg;
  uint8_t operand_bytes;
};

TEST(X86_64Arch, DecodeRdrandRdseed) {
  const RandomCase cases[] = {
      {{0x0f, 0xc7, 0xf0}, TrapInsnKind::kRdrand, kX86Rax, 4},              // rdrand %eax
      {{0x48, 0x0f, 0xc7, 0xf0}, TrapInsnKind::kRdrand, kX86Rax, 8},        // rdrand %rax
      {{0x49, 0x0f, 0xc7, 0xf1}, TrapInsnKind::kRdrand, kX86R9, 8},         // rdrand %r9
      {{0x41, 0x0f, 0xc7, 0xf1}, TrapInsnKind::kRdrand, kX86R9, 4},         // rdrand %r9d
      {{0x66, 0x0f, 0xc7, 0xf3}, TrapInsnKind::kRdrand, kX86Rbx, 2},        // rdrand %bx
      {{0x66, 0x41, 0x0f, 0xc7, 0xf7}, TrapInsnKind::kRdrand, kX86R15, 2},  // rdrand %r15w
      {{0x0f, 0xc7, 0xfa}, TrapInsnKind::kRdseed, kX86Rdx, 4},              // rdseed %edx
      {{0x48, 0x0f, 0xc7, 0xfc}, TrapInsnKind::kRdseed, kX86Rsp, 8},        // rdseed %rsp
      {{0x4c, 0x0f, 0xc7, 0xfd}, TrapInsnKind::kRdseed, kX86Rbp, 8},        // REX.R ignored
      {{0x48, 0x66, 0x0f, 0xc7, 0xf0}, TrapInsnKind::kRdrand, kX86Rax, 2},  // REX not last: ignored
      {{0x41, 0x66, 0x48, 0x0f, 0xc7, 0xfe}, TrapInsnKind::kRdseed, kX86Rsi, 8},  // last REX counts
      {{0x2e, 0x67, 0x0f, 0xc7, 0xf1}, TrapInsnKind::kRdrand, kX86Rcx, 4},        // inert prefixes
  };
  for (const RandomCase& c : cases) {
    TrapInsn t = Decode(c.bytes);
    SCOPED_TRACE(testing::PrintToString(c.bytes));
    EXPECT_EQ(t.kind, c.kind);
    EXPECT_EQ(t.dest_reg, c.dest_reg);
    EXPECT_EQ(t.operand_bytes, c.operand_bytes);
    EXPECT_EQ(t.length, c.bytes.size());
  }
}

TEST(X86_64Arch, DecodeRejectsOtherBytes) {
  const Bytes others[] = {
      {},
      {0x0f},
      {0x0f, 0x05},              // syscall
      {0x90},                    // nop
      {0xcc},                    // int3
      {0x0f, 0x01},              // truncated rdtscp
      {0x0f, 0x01, 0xf8},        // swapgs
      {0x0f, 0xc7},              // truncated
      {0x0f, 0xc7, 0x30},        // vmptrld-like memory form (mod != 11)
      {0x0f, 0xc7, 0x08},        // cmpxchg8b (%rax)
      {0x0f, 0xc7, 0xe8},        // reg 5
      {0xf3, 0x0f, 0xc7, 0xf8},  // rdpid %rax
      {0xf2, 0x0f, 0xc7, 0xf0},
      {0x48, 0x90},
      {0xf0, 0x0f, 0xc7, 0xf0},        // lock: undefined
      {0x66, 0xf3, 0x0f, 0xc7, 0xf8},  // rdpid: f3 wins over 66
  };
  for (const Bytes& bytes : others) {
    EXPECT_EQ(Decode(bytes).kind, TrapInsnKind::kNone) << testing::PrintToString(bytes);
  }
}

TEST(X86_64Arch, ApplyRdtsc) {
  Registers r = Numbered();
  r.SetWord(kX86Rax, ~0ull);
  r.SetWord(kX86Rdx, ~0ull);
  r.SetWord(kX86Rip, 0x1000);
  X86().ApplyTrapInsn(r, Decode({0x0f, 0x31}), std::vector<uint64_t>{0x1122334455667788});
  EXPECT_EQ(r.Word(kX86Rax), 0x55667788u);
  EXPECT_EQ(r.Word(kX86Rdx), 0x11223344u);
  EXPECT_EQ(r.Word(kX86Rip), 0x1002u);
  EXPECT_EQ(r.Word(kX86Rcx), Numbered().Word(kX86Rcx));
}

TEST(X86_64Arch, ApplyRdtscp) {
  Registers r = Numbered();
  r.SetWord(kX86Rip, 0x1000);
  r.SetWord(kX86Rcx, ~0ull);
  X86().ApplyTrapInsn(r, Decode({0x0f, 0x01, 0xf9}),
                      std::vector<uint64_t>{0xaabbccdd00000001, 0xffffffff00000003});
  EXPECT_EQ(r.Word(kX86Rax), 0x00000001u);
  EXPECT_EQ(r.Word(kX86Rdx), 0xaabbccddu);
  EXPECT_EQ(r.Word(kX86Rcx), 3u);
  EXPECT_EQ(r.Word(kX86Rip), 0x1003u);
}

TEST(X86_64Arch, ApplyCpuid) {
  Registers r = Numbered();
  r.SetWord(kX86Rip, 0x1000);
  r.SetWord(kX86Rbx, ~0ull);
  const Registers before = r;
  X86().ApplyTrapInsn(r, Decode({0x0f, 0xa2}),
                      std::vector<uint64_t>{0x10, 0x756e6547, 0x6c65746e, 0xffffffff49656e69});
  EXPECT_EQ(r.Word(kX86Rax), 0x10u);
  EXPECT_EQ(r.Word(kX86Rbx), 0x756e6547u);
  EXPECT_EQ(r.Word(kX86Rcx), 0x6c65746eu);
  EXPECT_EQ(r.Word(kX86Rdx), 0x49656e69u);
  EXPECT_EQ(r.Word(kX86Rip), 0x1002u);
  EXPECT_EQ(r.Word(kX86Eflags), before.Word(kX86Eflags));
}

TEST(X86_64Arch, ApplyRdrandSizesAndFlags) {
  constexpr uint64_t kAllArithFlags = 0x8d5;  // OF SF ZF AF PF CF
  constexpr uint64_t kIf = 0x200;
  struct Case {
    Bytes bytes;
    int word;
    uint64_t want;
  };
  const uint64_t old = 0x1111222233334444;
  const uint64_t value = 0xaaaabbbbccccdddd;
  const Case cases[] = {
      {{0x48, 0x0f, 0xc7, 0xf0}, kX86Rax, value},               // 64-bit: whole
      {{0x0f, 0xc7, 0xf0}, kX86Rax, 0xccccdddd},                // 32-bit: zero-extends
      {{0x66, 0x0f, 0xc7, 0xf0}, kX86Rax, 0x111122223333dddd},  // 16-bit: keeps upper
      {{0x49, 0x0f, 0xc7, 0xf9}, kX86R9, value},                // rdseed %r9
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.bytes));
    Registers r = Numbered();
    r.SetWord(c.word, old);
    r.SetWord(kX86Rip, 0x2000);
    r.SetWord(kX86Eflags, (kAllArithFlags & ~1ull) | kIf);  // CF clear, others set
    const TrapInsn insn = Decode(c.bytes);
    X86().ApplyTrapInsn(r, insn, std::vector<uint64_t>{value});
    EXPECT_EQ(r.Word(c.word), c.want);
    EXPECT_EQ(r.Word(kX86Eflags), 1u | kIf) << "CF set, OF SF ZF AF PF clear, IF kept";
    EXPECT_EQ(r.Word(kX86Rip), 0x2000u + c.bytes.size());
  }
}

// Assembles a buffer and remembers where each piece starts.
class CodeBuilder {
 public:
  size_t Add(const Bytes& bytes) {
    size_t at = code_.size();
    code_.insert(code_.end(), bytes.begin(), bytes.end());
    return at;
  }
  const Bytes& code() const { return code_; }

 private:
  Bytes code_;
};

// The definition ScanForTrapSites must agree with: a linear sweep with
// Capstone from the first byte, every instruction checked.
std::vector<TrapSite> FullSweep(std::span<const uint8_t> code, uint64_t addr,
                                TrapScanKinds kinds = {}) {
  std::vector<TrapSite> sites;
  csh handle;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK) return sites;
  cs_insn* insn = cs_malloc(handle);
  const uint8_t* bytes = code.data();
  size_t left = code.size();
  uint64_t at = addr;
  while (left > 0) {
    if (!cs_disasm_iter(handle, &bytes, &left, &at, insn)) {
      ++bytes, --left, ++at;
      continue;
    }
    const TrapInsn trap = X86().DecodeTrapInsn({insn->bytes, insn->size});
    const bool random = trap.kind == TrapInsnKind::kRdrand || trap.kind == TrapInsnKind::kRdseed;
    const bool tsc = trap.kind == TrapInsnKind::kRdtsc || trap.kind == TrapInsnKind::kRdtscp;
    const bool cpuid = trap.kind == TrapInsnKind::kCpuid;
    if ((random || (tsc && kinds.tsc_reads) || (cpuid && kinds.cpuid)) &&
        trap.length == insn->size) {
      // Capstone agrees. (Not conversely: Capstone 4 also calls f2-prefixed
      // forms rdrand, which the CPU rejects with #UD.)
      EXPECT_TRUE(insn->id == X86_INS_RDRAND || insn->id == X86_INS_RDSEED ||
                  insn->id == X86_INS_RDTSC || insn->id == X86_INS_RDTSCP ||
                  insn->id == X86_INS_CPUID)
          << insn->mnemonic << " " << insn->op_str << " at 0x" << std::hex << insn->address;
      sites.push_back({insn->address, trap});
    }
  }
  cs_free(insn, 1);
  cs_close(&handle);
  return sites;
}

void ExpectSameSites(const std::vector<TrapSite>& got, const std::vector<TrapSite>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].addr, want[i].addr) << i;
    EXPECT_EQ(got[i].insn.kind, want[i].insn.kind) << i;
    EXPECT_EQ(got[i].insn.length, want[i].insn.length) << i;
    EXPECT_EQ(got[i].insn.dest_reg, want[i].insn.dest_reg) << i;
  }
}

TEST(X86_64Arch, ScanFindsRandomInsnsOnInstructionBoundaries) {
  constexpr uint64_t kBase = 0x7f0000001000;
  CodeBuilder b;
  b.Add({0x48, 0x89, 0xe5});                                  // mov %rsp,%rbp
  const size_t rdrand_eax = b.Add({0x0f, 0xc7, 0xf0});        // rdrand %eax
  b.Add({0xb8, 0x0f, 0xc7, 0xf0, 0x00});                      // mov $0xf0c70f,%eax (not a site)
  const size_t rdrand_rcx = b.Add({0x48, 0x0f, 0xc7, 0xf1});  // rdrand %rcx
  b.Add({0xf3, 0x0f, 0xc7, 0xf8});                            // rdpid %rax (not a site)
  b.Add({0x06});                                              // invalid in 64-bit mode
  const size_t rdseed_r9w = b.Add({0x66, 0x41, 0x0f, 0xc7, 0xf9});  // rdseed %r9w
  b.Add({0x0f, 0x31});                                              // rdtsc: not asked for
  b.Add({0xc3});                                                    // ret

  const std::vector<TrapSite> sites = X86().ScanForTrapSites(b.code(), kBase, {});
  ASSERT_EQ(sites.size(), 3u);
  EXPECT_EQ(sites[0].addr, kBase + rdrand_eax);
  EXPECT_EQ(sites[0].insn.kind, TrapInsnKind::kRdrand);
  EXPECT_EQ(sites[0].insn.dest_reg, kX86Rax);
  EXPECT_EQ(sites[0].insn.operand_bytes, 4);
  EXPECT_EQ(sites[1].addr, kBase + rdrand_rcx);
  EXPECT_EQ(sites[1].insn.dest_reg, kX86Rcx);
  EXPECT_EQ(sites[1].insn.operand_bytes, 8);
  EXPECT_EQ(sites[1].insn.length, 4);
  EXPECT_EQ(sites[2].addr, kBase + rdseed_r9w);
  EXPECT_EQ(sites[2].insn.kind, TrapInsnKind::kRdseed);
  EXPECT_EQ(sites[2].insn.dest_reg, kX86R9);
  EXPECT_EQ(sites[2].insn.operand_bytes, 2);
  EXPECT_EQ(sites[2].insn.length, 5);
}

TEST(X86_64Arch, ScanOfCodeWithoutCandidatesIsEmpty) {
  EXPECT_TRUE(X86().ScanForTrapSites({}, 0, {.tsc_reads = true, .cpuid = true}).empty());
  const Bytes code = {0x55, 0x48, 0x89, 0xe5, 0x0f, 0x31, 0x0f, 0xa2, 0x5d, 0xc3};
  EXPECT_TRUE(X86().ScanForTrapSites(code, 0x1000, {}).empty());
}

// Hosts whose hypervisor ignores PR_SET_TSC: rdtsc and rdtscp become sites,
// on instruction boundaries only; cpuid only when asked for too.
TEST(X86_64Arch, ScanFindsTscReadsWhenAsked) {
  constexpr uint64_t kBase = 0x400000;
  CodeBuilder b;
  b.Add({0x55});                                         // push %rbp
  const size_t rdtsc = b.Add({0x0f, 0x31});              // rdtsc
  b.Add({0xb8, 0x0f, 0x31, 0x0f, 0x01});                 // mov $0x10f310f,%eax (not a site)
  b.Add({0x0f, 0xa2});                                   // cpuid (faults, or nothing can)
  const size_t rdtscp = b.Add({0x0f, 0x01, 0xf9});       // rdtscp
  const size_t rdrand = b.Add({0x0f, 0xc7, 0xf2});       // rdrand %edx
  b.Add({0xc3});                                         // ret

  const std::vector<TrapSite> sites = X86().ScanForTrapSites(b.code(), kBase, {.tsc_reads = true});
  ASSERT_EQ(sites.size(), 3u);
  EXPECT_EQ(sites[0].addr, kBase + rdtsc);
  EXPECT_EQ(sites[0].insn.kind, TrapInsnKind::kRdtsc);
  EXPECT_EQ(sites[0].insn.length, 2);
  EXPECT_EQ(sites[1].addr, kBase + rdtscp);
  EXPECT_EQ(sites[1].insn.kind, TrapInsnKind::kRdtscp);
  EXPECT_EQ(sites[1].insn.length, 3);
  EXPECT_EQ(sites[2].addr, kBase + rdrand);
  EXPECT_EQ(sites[2].insn.kind, TrapInsnKind::kRdrand);
  ExpectSameSites(sites, FullSweep(b.code(), kBase, {.tsc_reads = true}));
}

// CPUs without cpuid faulting, recording under --cpuid-mask baseline: cpuid
// becomes a site, on instruction boundaries only.
TEST(X86_64Arch, ScanFindsCpuidWhenAsked) {
  constexpr uint64_t kBase = 0x400000;
  CodeBuilder b;
  b.Add({0x53});                             // push %rbx
  const size_t cpuid = b.Add({0x0f, 0xa2});  // cpuid
  b.Add({0xb8, 0x0f, 0xa2, 0x0f, 0xa2});     // mov $0xa20fa20f,%eax (not a site)
  b.Add({0x0f, 0x31});                       // rdtsc: not asked for
  const size_t again = b.Add({0x0f, 0xa2});  // cpuid
  b.Add({0x5b, 0xc3});                       // pop %rbx; ret

  const std::vector<TrapSite> sites = X86().ScanForTrapSites(b.code(), kBase, {.cpuid = true});
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0].addr, kBase + cpuid);
  EXPECT_EQ(sites[0].insn.kind, TrapInsnKind::kCpuid);
  EXPECT_EQ(sites[0].insn.length, 2);
  EXPECT_EQ(sites[1].addr, kBase + again);
  ExpectSameSites(sites, FullSweep(b.code(), kBase, {.cpuid = true}));
  EXPECT_TRUE(X86().ScanForTrapSites(b.code(), kBase, {.tsc_reads = true}).size() == 1u);
}

// The executable PT_LOAD segment of an ELF file: its bytes and address.
struct TextSegment {
  Bytes bytes;
  uint64_t vaddr = 0;
};

std::optional<TextSegment> ReadTextSegment(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  const Bytes file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (file.size() < sizeof(Elf64_Ehdr)) return std::nullopt;
  Elf64_Ehdr ehdr;
  std::memcpy(&ehdr, file.data(), sizeof(ehdr));
  for (int i = 0; i < ehdr.e_phnum; ++i) {
    Elf64_Phdr phdr;
    const size_t at = ehdr.e_phoff + size_t{ehdr.e_phentsize} * i;
    if (at + sizeof(phdr) > file.size()) return std::nullopt;
    std::memcpy(&phdr, file.data() + at, sizeof(phdr));
    if (phdr.p_type != PT_LOAD || !(phdr.p_flags & PF_X)) continue;
    if (phdr.p_offset + phdr.p_filesz > file.size()) return std::nullopt;
    return TextSegment{
        Bytes(file.begin() + phdr.p_offset, file.begin() + phdr.p_offset + phdr.p_filesz),
        phdr.p_vaddr};
  }
  return std::nullopt;
}

TEST(X86_64Arch, ScanFindsRdrandInLibstdcxx) {
  const char* kPath = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
  std::optional<TextSegment> text = ReadTextSegment(kPath);
  if (!text) GTEST_SKIP() << kPath << " is missing or has no executable segment";

  const auto start = std::chrono::steady_clock::now();
  const std::vector<TrapSite> sites = X86().ScanForTrapSites(text->bytes, text->vaddr, {});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  std::printf("ScanForTrapSites(libstdc++ text, %zu bytes): %.1f ms, %zu sites\n",
              text->bytes.size(), ms, sites.size());
  RecordProperty("scan_ms", std::to_string(ms));

  int rdrands = 0;
  for (const TrapSite& site : sites) {
    ASSERT_GE(site.addr, text->vaddr);
    const size_t at = site.addr - text->vaddr;
    // Every site decodes from the bytes at its own address.
    TrapInsn again = X86().DecodeTrapInsn(std::span<const uint8_t>(text->bytes).subspan(at));
    EXPECT_EQ(again.kind, site.insn.kind);
    EXPECT_EQ(again.length, site.insn.length);
    if (site.insn.kind == TrapInsnKind::kRdrand) ++rdrands;
  }
  EXPECT_GE(rdrands, 1) << "std::random_device uses rdrand";

  const auto full_start = std::chrono::steady_clock::now();
  const std::vector<TrapSite> full = FullSweep(text->bytes, text->vaddr);
  const double full_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - full_start)
          .count();
  std::printf("full Capstone sweep of the same bytes: %.1f ms\n", full_ms);
  ExpectSameSites(sites, full);
}

// Random bytes resynchronize badly (many undecodable bytes, long prefix
// runs), which stresses the scan's shortcut; planted candidates sit both on
// and off instruction boundaries.
TEST(X86_64Arch, ScanAgreesWithFullSweepOnRandomBytes) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 10; ++round) {
    Bytes code(64 * 1024);
    for (uint8_t& b : code) b = static_cast<uint8_t>(rng());
    for (int i = 0; i < 40; ++i) {
      const size_t at = rng() % (code.size() - 8);
      const Bytes insn = {0x66, 0x48, 0x0f, 0xc7, static_cast<uint8_t>(0xf0 | (rng() & 0xf))};
      std::copy(insn.begin() + rng() % 3, insn.end(), code.begin() + at);
    }
    SCOPED_TRACE(round);
    ExpectSameSites(X86().ScanForTrapSites(code, 0x10000, {}), FullSweep(code, 0x10000));
    ExpectSameSites(X86().ScanForTrapSites(code, 0x10000, {.tsc_reads = true}),
                    FullSweep(code, 0x10000, {.tsc_reads = true}));
    ExpectSameSites(X86().ScanForTrapSites(code, 0x10000, {.cpuid = true}),
                    FullSweep(code, 0x10000, {.cpuid = true}));
  }
}

TEST(X86_64Arch, GdbRegistersFollowGdbNumbering) {
  std::span<const GdbRegister> regs = X86().GdbRegisters();
  ASSERT_EQ(regs.size(), 76u);
  auto number_of = [&](std::string_view name) {
    for (size_t i = 0; i < regs.size(); ++i) {
      if (regs[i].name == name) return static_cast<int>(i);
    }
    return -1;
  };
  EXPECT_EQ(number_of("rax"), 0);
  EXPECT_EQ(number_of("rsp"), 7);
  EXPECT_EQ(number_of("r15"), 15);
  EXPECT_EQ(number_of("rip"), 16);
  EXPECT_EQ(number_of("eflags"), 17);
  EXPECT_EQ(number_of("gs"), 23);
  EXPECT_EQ(number_of("st0"), 24);
  EXPECT_EQ(number_of("fop"), 39);
  EXPECT_EQ(number_of("xmm0"), 40);
  EXPECT_EQ(number_of("mxcsr"), 56);
  EXPECT_EQ(number_of("orig_rax"), 57);
  EXPECT_EQ(number_of("fs_base"), 58);
  EXPECT_EQ(number_of("gs_base"), 59);
  EXPECT_EQ(number_of("ymm0h"), 60);
  EXPECT_EQ(number_of("ymm15h"), 75);
}

TEST(X86_64Arch, GdbRegistersReadTheRightSources) {
  std::set<std::string_view> names;
  for (const GdbRegister& reg : X86().GdbRegisters()) {
    SCOPED_TRACE(std::string(reg.name));
    EXPECT_TRUE(names.insert(reg.name).second) << "duplicate";
    ASSERT_EQ(reg.bitsize % 8, 0);
    const size_t bytes = reg.source_bytes ? reg.source_bytes : reg.bitsize / 8;
    EXPECT_LE(bytes, reg.bitsize / 8u);
    switch (reg.source) {
      case RegSource::kGp:
        EXPECT_EQ(reg.offset % 8, 0u);
        EXPECT_LE(reg.offset + bytes, X86().gp_regs_size());
        break;
      case RegSource::kFp:
        EXPECT_LE(reg.offset + bytes, X86().FpRegsetSize());
        break;
      case RegSource::kZero:
        break;
    }
  }
  // Spot checks against struct user_regs_struct and the FXSAVE layout.
  auto find = [](std::string_view name) {
    for (const GdbRegister& reg : X86().GdbRegisters()) {
      if (reg.name == name) return reg;
    }
    return GdbRegister{};
  };
  EXPECT_EQ(find("rip").offset, 16u * 8);
  EXPECT_EQ(find("eflags").offset, 18u * 8);
  EXPECT_EQ(find("eflags").bitsize, 32);
  EXPECT_EQ(find("orig_rax").offset, 15u * 8);
  EXPECT_EQ(find("fs_base").offset, 21u * 8);
  EXPECT_EQ(find("st7").offset, 32u + 7 * 16);
  EXPECT_EQ(find("st7").bitsize, 80);
  EXPECT_EQ(find("xmm15").offset, 160u + 15 * 16);
  EXPECT_EQ(find("mxcsr").offset, 24u);
  EXPECT_EQ(find("fctrl").source_bytes, 2);
  EXPECT_EQ(find("ymm3h").offset, 576u + 3 * 16);
  EXPECT_EQ(find("ymm3h").source, RegSource::kFp);
  EXPECT_EQ(X86().FpRegsetType(), 0x202);
  EXPECT_GE(X86().FpRegsetSize(), 832u);
}

TEST(X86_64Arch, TargetXmlListsTheTableInOrder) {
  const std::string xml(X86().TargetXml());
  EXPECT_NE(xml.find("<architecture>i386:x86-64</architecture>"), std::string::npos);
  for (const char* feature :
       {"org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse", "org.gnu.gdb.i386.linux",
        "org.gnu.gdb.i386.segments", "org.gnu.gdb.i386.avx"}) {
    EXPECT_NE(xml.find(std::string("<feature name=\"") + feature + "\">"), std::string::npos)
        << feature;
  }
  const std::regex reg_re(R"re(<reg name="([^"]+)" bitsize="(\d+)")re");
  std::vector<std::pair<std::string, int>> in_xml;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), reg_re); it != std::sregex_iterator();
       ++it) {
    in_xml.emplace_back((*it)[1].str(), std::stoi((*it)[2].str()));
  }
  std::span<const GdbRegister> regs = X86().GdbRegisters();
  ASSERT_EQ(in_xml.size(), regs.size());
  for (size_t i = 0; i < regs.size(); ++i) {
    EXPECT_EQ(in_xml[i].first, regs[i].name) << "gdb register " << i;
    EXPECT_EQ(in_xml[i].second, regs[i].bitsize) << regs[i].name;
  }
  // Explicit numbers agree with the positions.
  const std::regex regnum_re(R"re(<reg name="([^"]+)"[^>]* regnum="(\d+)")re");
  int pinned = 0;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), regnum_re);
       it != std::sregex_iterator(); ++it) {
    const size_t n = std::stoul((*it)[2].str());
    ASSERT_LT(n, regs.size());
    EXPECT_EQ(regs[n].name, (*it)[1].str());
    ++pinned;
  }
  EXPECT_EQ(pinned, 5);
}

TEST(X86_64Arch, CpuidFaultingSyscallIsArchPrctlSetCpuid) {
  auto call = X86().CpuidFaultingSyscall();
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ((*call)[0], 158u);     // arch_prctl
  EXPECT_EQ((*call)[1], 0x1012u);  // ARCH_SET_CPUID
  EXPECT_EQ((*call)[2], 0u);       // 0: make cpuid fault
}

// --- host operations: this test binary runs on x86-64 ----------------------

TEST(X86_64ArchHost, RdtscIncreases) {
  const Registers r;
  const TrapInsn rdtsc = X86().DecodeTrapInsn(Bytes{0x0f, 0x31});
  std::vector<uint64_t> a = X86().host().ExecuteTrapInsn(r, rdtsc, CpuidMask::kNative);
  std::vector<uint64_t> b = X86().host().ExecuteTrapInsn(r, rdtsc, CpuidMask::kNative);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_GT(b[0], a[0]);
  std::vector<uint64_t> p = X86().host().ExecuteTrapInsn(
      r, X86().DecodeTrapInsn(Bytes{0x0f, 0x01, 0xf9}), CpuidMask::kNative);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_GT(p[0], b[0]);
  EXPECT_LE(p[1], 0xffffffffu);
}

TEST(X86_64ArchHost, CpuidHidesUntrappableFeatures) {
  const TrapInsn cpuid = X86().DecodeTrapInsn(Bytes{0x0f, 0xa2});
  Registers r;
  r.SetWord(kX86Rax, 0);
  std::vector<uint64_t> leaf0 = X86().host().ExecuteTrapInsn(r, cpuid, CpuidMask::kNative);
  ASSERT_EQ(leaf0.size(), 4u);
  EXPECT_GE(leaf0[0], 1u);
  r.SetWord(kX86Rax, 1);
  std::vector<uint64_t> leaf1 = X86().host().ExecuteTrapInsn(r, cpuid, CpuidMask::kNative);
  EXPECT_EQ(leaf1[2] & (1u << 30), 0u) << "rdrand";
  if (leaf0[0] >= 7) {
    r.SetWord(kX86Rax, 7);
    r.SetWord(kX86Rcx, 0);
    std::vector<uint64_t> leaf7 = X86().host().ExecuteTrapInsn(r, cpuid, CpuidMask::kNative);
    EXPECT_EQ(leaf7[1] & ((1u << 18) | (1u << 11) | (1u << 4)), 0u) << "rdseed rtm hle";
    EXPECT_EQ(leaf7[2] & (1u << 22), 0u) << "rdpid";
  }
}

TEST(X86_64ArchHost, RdrandComesFromTheKernelPool) {
  const Registers r;
  std::vector<uint64_t> wide =
      X86().host().ExecuteTrapInsn(r, Decode({0x48, 0x0f, 0xc7, 0xf0}), CpuidMask::kNative);
  std::vector<uint64_t> wide2 =
      X86().host().ExecuteTrapInsn(r, Decode({0x48, 0x0f, 0xc7, 0xf0}), CpuidMask::kNative);
  ASSERT_EQ(wide.size(), 1u);
  EXPECT_NE(wide[0], wide2[0]);
  for (int i = 0; i < 8; ++i) {
    EXPECT_LE(
        X86().host().ExecuteTrapInsn(r, Decode({0x66, 0x0f, 0xc7, 0xf8}), CpuidMask::kNative)[0],
        0xffffu);
    EXPECT_LE(X86().host().ExecuteTrapInsn(r, Decode({0x0f, 0xc7, 0xf0}), CpuidMask::kNative)[0],
              0xffffffffu);
  }
}

}  // namespace
}  // namespace rwd::arch
