// Arch::DisassembleInsn, for crash reports: one instruction as text.
#include <gtest/gtest.h>

#include <cstdint>

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

}  // namespace
}  // namespace rwd::arch
