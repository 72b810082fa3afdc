// Arch::DisassembleInsn, for crash reports: one instruction as text.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "arch/arch.h"

namespace rwd::arch {
namespace {

TEST(DisassembleInsn, X86_64) {
  const Arch* arch = ArchFor(ArchId::kX86_64);
  ASSERT_NE(arch, nullptr);
  const uint8_t load[] = {0x8b, 0x10, 0x90};  // mov edx, [rax]; nop
  EXPECT_EQ(arch->DisassembleInsn(load, 0x1000), "mov edx, dword ptr [rax]");
  const uint8_t bad[] = {0x0f, 0xff};
  EXPECT_EQ(arch->DisassembleInsn(std::span<const uint8_t>(bad, 1), 0x1000), "(bad)");
}

TEST(DisassembleInsn, AArch64) {
  const Arch* arch = ArchFor(ArchId::kAArch64);
  ASSERT_NE(arch, nullptr);
  const uint8_t ret[] = {0xc0, 0x03, 0x5f, 0xd6};
  EXPECT_EQ(arch->DisassembleInsn(ret, 0x1000), "ret");
}

// Arch::Disassemble, for the console's disas and its stepping over calls.
TEST(Disassemble, X86_64NamesLengthsCallsAndTargets) {
  const Arch* arch = ArchFor(ArchId::kX86_64);
  ASSERT_NE(arch, nullptr);
  // call +0x10; jmp rax; ret; then a byte that does not decode in 64-bit
  // mode (push es).
  const uint8_t code[] = {0xe8, 0x0b, 0x00, 0x00, 0x00, 0xff, 0xe0, 0xc3, 0x06, 0x90};
  std::vector<DecodedInsn> insns = arch->Disassemble(code, 0x1000, 10);
  ASSERT_EQ(insns.size(), 3u);
  EXPECT_EQ(insns[0].addr, 0x1000u);
  EXPECT_EQ(insns[0].length, 5);
  EXPECT_EQ(insns[0].text, "call 0x1010");
  EXPECT_TRUE(insns[0].is_call);
  EXPECT_EQ(insns[0].branch_target, 0x1010u);
  EXPECT_EQ(insns[1].addr, 0x1005u);
  EXPECT_EQ(insns[1].text, "jmp rax");
  EXPECT_FALSE(insns[1].branch_target.has_value());
  EXPECT_TRUE(insns[2].is_return);
  EXPECT_EQ(arch->Disassemble(code, 0x1000, 1).size(), 1u);
}

TEST(Disassemble, AArch64NamesCallsAndTargets) {
  const Arch* arch = ArchFor(ArchId::kAArch64);
  ASSERT_NE(arch, nullptr);
  // bl +8; cbz x0, +8; ret
  const uint8_t code[] = {0x02, 0x00, 0x00, 0x94, 0x40, 0x00, 0x00, 0xb4, 0xc0, 0x03, 0x5f, 0xd6};
  std::vector<DecodedInsn> insns = arch->Disassemble(code, 0x2000, 10);
  ASSERT_EQ(insns.size(), 3u);
  EXPECT_TRUE(insns[0].is_call);
  EXPECT_EQ(insns[0].branch_target, 0x2008u);
  EXPECT_FALSE(insns[1].is_call);
  EXPECT_EQ(insns[1].branch_target, 0x200cu);
  EXPECT_TRUE(insns[2].is_return);
  EXPECT_EQ(insns[2].length, 4);
}

}  // namespace
}  // namespace rwd::arch
