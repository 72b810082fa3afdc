// What ran just before a point, told by the code and the state there, for
// reverse stepping after a long stretch without events: Arch::
// StatesCallingInto (the call, or a PLT stub's jump, before a function's
// first instruction) and Arch::InsnFallingInto (the instruction that falls
// into another).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <vector>

#include "arch/arch.h"

namespace rwd::arch {
namespace {

// A sparse memory of byte runs, read as Arch::MemoryReader reads.
class FakeMemory {
 public:
  void Put(uint64_t addr, std::vector<uint8_t> bytes) { runs_[addr] = std::move(bytes); }
  void PutWord(uint64_t addr, uint64_t v) {
    std::vector<uint8_t> bytes(8);
    std::memcpy(bytes.data(), &v, 8);
    Put(addr, bytes);
  }
  Arch::MemoryReader Reader() const {
    return [this](uint64_t addr, size_t len) -> std::optional<std::vector<uint8_t>> {
      for (const auto& [start, bytes] : runs_) {
        if (addr >= start && addr + len <= start + bytes.size()) {
          return std::vector<uint8_t>(bytes.begin() + (addr - start),
                                      bytes.begin() + (addr - start + len));
        }
      }
      return std::nullopt;
    };
  }

 private:
  std::map<uint64_t, std::vector<uint8_t>> runs_;
};

constexpr uint64_t kSp = 0x7ff000;
constexpr uint64_t kEntry = 0x401000;
constexpr uint64_t kReturnTo = 0x402010;

// 16 bytes of nops whose last bytes are replaced by `call`, ending at kReturnTo.
std::vector<uint8_t> CodeEndingWith(std::vector<uint8_t> call) {
  std::vector<uint8_t> code(32, 0x90);
  std::copy(call.begin(), call.end(), code.end() - call.size());
  return code;
}

struct X86Fixture {
  const Arch& arch = *ArchFor(ArchId::kX86_64);
  FakeMemory memory;
  Registers at_entry;
  X86Fixture() {
    arch.SetPc(at_entry, kEntry);
    at_entry.SetWord(arch.description().sp_word, kSp);
    memory.PutWord(kSp, kReturnTo);
  }
  std::vector<Registers> Callers() { return arch.StatesCallingInto(at_entry, memory.Reader()); }
};

int32_t Rel32(uint64_t from_end, uint64_t to) { return static_cast<int32_t>(to - from_end); }

std::vector<uint8_t> CallRel32(uint64_t end, uint64_t to) {
  int32_t rel = Rel32(end, to);
  std::vector<uint8_t> call{0xe8, 0, 0, 0, 0};
  std::memcpy(&call[1], &rel, 4);
  return call;
}

TEST(StatesCallingInto, X86_64DirectCallGivesTheCallersRegisters) {
  X86Fixture f;
  f.memory.Put(kReturnTo - 32, CodeEndingWith(CallRel32(kReturnTo, kEntry)));
  std::vector<Registers> callers = f.Callers();
  ASSERT_EQ(callers.size(), 1u);
  EXPECT_EQ(f.arch.Pc(callers[0]), kReturnTo - 5);
  EXPECT_EQ(f.arch.Sp(callers[0]), kSp + 8);
}

TEST(StatesCallingInto, X86_64DirectCallElsewhereIsNotTheCaller) {
  X86Fixture f;
  f.memory.Put(kReturnTo - 32, CodeEndingWith(CallRel32(kReturnTo, kEntry + 0x40)));
  EXPECT_TRUE(f.Callers().empty());
}

TEST(StatesCallingInto, X86_64CallThroughARegisterOrMemoryIsCheckedAgainstTheirValues) {
  X86Fixture f;
  f.memory.Put(kReturnTo - 32, CodeEndingWith({0xff, 0xd0}));  // call rax
  // rax is word 10 of user_regs_struct.
  f.at_entry.SetWord(10, kEntry);
  ASSERT_EQ(f.Callers().size(), 1u);
  EXPECT_EQ(f.arch.Pc(f.Callers()[0]), kReturnTo - 2);
  f.at_entry.SetWord(10, kEntry + 1);
  EXPECT_TRUE(f.Callers().empty());
  // call qword ptr [rip + 0x100]: the pointer read from memory.
  X86Fixture g;
  g.memory.Put(kReturnTo - 32, CodeEndingWith({0xff, 0x15, 0x00, 0x01, 0x00, 0x00}));
  g.memory.PutWord(kReturnTo + 0x100, kEntry);
  ASSERT_EQ(g.Callers().size(), 1u);
  EXPECT_EQ(g.arch.Pc(g.Callers()[0]), kReturnTo - 6);
}

TEST(StatesCallingInto, X86_64CallIntoAPltStubGivesTheStubsJump) {
  X86Fixture f;
  constexpr uint64_t kStub = 0x401800;
  constexpr uint64_t kGot = 0x404000;
  f.memory.Put(kReturnTo - 32, CodeEndingWith(CallRel32(kReturnTo, kStub)));
  // endbr64; bnd jmp qword ptr [rip + disp] (to kGot), then padding.
  const uint64_t jmp_at = kStub + 4;
  const uint64_t jmp_end = jmp_at + 7;
  int32_t disp = Rel32(jmp_end, kGot);
  std::vector<uint8_t> stub{0xf3, 0x0f, 0x1e, 0xfa, 0xf2, 0xff, 0x25, 0, 0, 0, 0};
  std::memcpy(&stub[7], &disp, 4);
  stub.resize(48, 0x90);
  f.memory.Put(kStub, stub);
  f.memory.PutWord(kGot, kEntry);
  std::vector<Registers> callers = f.Callers();
  ASSERT_EQ(callers.size(), 1u);
  EXPECT_EQ(f.arch.Pc(callers[0]), jmp_at);
  EXPECT_EQ(f.arch.Sp(callers[0]), kSp) << "a jump leaves sp as it is";
}

TEST(StatesCallingInto, NothingWithoutAReadableReturnAddressOrOnAArch64) {
  X86Fixture f;
  f.at_entry.SetWord(f.arch.description().sp_word, kSp + 0x1000);
  EXPECT_TRUE(f.Callers().empty());
  const Arch& aarch64 = *ArchFor(ArchId::kAArch64);
  FakeMemory memory;
  EXPECT_TRUE(aarch64.StatesCallingInto(Registers(), memory.Reader()).empty());
}

TEST(InsnFallingInto, X86_64FindsThePreviousInstructionOrNoneAfterAJump) {
  const Arch& arch = *ArchFor(ArchId::kX86_64);
  // push rbp; mov rbp, rsp; mov [rbp-8], rdi | target
  std::vector<uint8_t> code(48, 0xcc);
  const std::vector<uint8_t> prologue{0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0x7d, 0xf8};
  std::copy(prologue.begin(), prologue.end(), code.end() - prologue.size());
  const uint64_t target = 0x1000;
  std::optional<DecodedInsn> insn = arch.InsnFallingInto(code, target);
  ASSERT_TRUE(insn.has_value());
  EXPECT_EQ(insn->addr, target - 4);
  // After an unconditional jump nothing falls through.
  std::vector<uint8_t> jumped(48, 0x90);
  jumped[46] = 0xeb;  // jmp +0
  jumped[47] = 0x00;
  EXPECT_FALSE(arch.InsnFallingInto(jumped, target).has_value());
  // A call does: its callee returns there.
  std::vector<uint8_t> called = CodeEndingWith(CallRel32(target, 0x5000));
  insn = arch.InsnFallingInto(called, target);
  ASSERT_TRUE(insn.has_value());
  EXPECT_TRUE(insn->is_call);
  EXPECT_EQ(insn->addr, target - 5);
}

TEST(InsnFallingInto, AArch64IsTheWordBeforeUnlessABranch) {
  const Arch& arch = *ArchFor(ArchId::kAArch64);
  // nop; nop; add x0, x0, #1 | target
  const std::vector<uint8_t> code{0x1f, 0x20, 0x03, 0xd5, 0x1f, 0x20,
                                  0x03, 0xd5, 0x00, 0x04, 0x00, 0x91};
  std::optional<DecodedInsn> insn = arch.InsnFallingInto(code, 0x2000);
  ASSERT_TRUE(insn.has_value());
  EXPECT_EQ(insn->addr, 0x2000u - 4);
  // ... ; b .+8 | target
  const std::vector<uint8_t> branch{0x1f, 0x20, 0x03, 0xd5, 0x1f, 0x20,
                                    0x03, 0xd5, 0x02, 0x00, 0x00, 0x14};
  EXPECT_FALSE(arch.InsnFallingInto(branch, 0x2000).has_value());
}

}  // namespace
}  // namespace rwd::arch
