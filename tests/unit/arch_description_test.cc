// Unit tests of what Arch derives from each architecture's ArchDescription
// once for all of them (arch.cc, signal_frame.cc): the comparisons that
// ignore flags, the signal-frame trap words, the thread pointer, and the
// RegisterDescription the gdb server sees.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "arch/aarch64/aarch64_arch.h"
#include "arch/arch.h"
#include "arch/signal_frame.h"
#include "arch/x86_64/x86_64_arch.h"

namespace rwd::arch {
namespace {

Registers Numbered(size_t words) {
  Registers r;
  for (size_t i = 0; i < words; ++i) r.SetWord(i, 0x1000 + 0x10 * i);
  return r;
}

TEST(ArchDescription, SameValuesIgnoresOnlyTheX86ConditionFlags) {
  const Arch& x86 = X86_64Arch::Instance();
  const Registers a = Numbered(kX86NumGpWords);
  Registers flags = a;
  flags.SetWord(kX86Eflags, a.Word(kX86Eflags) ^ 0x8d5);  // CF PF AF ZF SF OF
  EXPECT_FALSE(x86.SameProgramState(a, flags));
  EXPECT_TRUE(x86.SameValues(a, flags));
  Registers value = flags;
  value.SetWord(kX86Rbx, a.Word(kX86Rbx) + 1);
  EXPECT_FALSE(x86.SameValues(a, value));
}

TEST(ArchDescription, SameValuesIgnoresOnlyTheAArch64Nzcv) {
  const Arch& a64 = AArch64Arch::Instance();
  const Registers a = Numbered(kA64NumGpWords);
  Registers nzcv = a;
  nzcv.SetWord(kA64Pstate, a.Word(kA64Pstate) ^ (uint64_t{0xf} << 28));
  EXPECT_FALSE(a64.SameProgramState(a, nzcv));
  EXPECT_TRUE(a64.SameValues(a, nzcv));
  Registers other_bit = a;
  other_bit.SetWord(kA64Pstate, a.Word(kA64Pstate) ^ 1);  // not a flag
  EXPECT_FALSE(a64.SameValues(a, other_bit));
}

TEST(ArchDescription, X86StopArtifactIsTheTrapFlagCopiedIntoR11) {
  const Arch& x86 = X86_64Arch::Instance();
  Registers r = Numbered(kX86NumGpWords);
  r.SetWord(kX86R11, 0x346);  // rflags with TF, as `syscall` copies it under single-step
  const Registers before = r;
  x86.ClearStopArtifacts(r);
  EXPECT_EQ(r.Word(kX86R11), 0x246u);
  for (size_t i = 0; i < kX86NumGpWords; ++i) {
    if (i != kX86R11 && i != kX86OrigRax) {
      EXPECT_EQ(r.Word(i), before.Word(i)) << "word " << i;
    }
  }
  EXPECT_TRUE(x86.SameProgramState(before, r));
}

// x86-64 sigcontext words err (19), trapno (20) and cr2 (22), after the
// return address and the 40 bytes of ucontext before it.
TEST(ArchDescription, SignalFrameTrapWordsAreX86SigcontextWords) {
  Registers r;
  r.SetWord(kX86Rsp, 0x7ffd0000);
  EXPECT_EQ(SignalFrameTrapWords(X86_64Arch::Instance(), r),
            (std::vector<uint64_t>{0x7ffd0000 + 48 + 152, 0x7ffd0000 + 48 + 160,
                                   0x7ffd0000 + 48 + 176}));
  r.SetWord(kA64Sp, 0x7ffd0000);
  EXPECT_TRUE(SignalFrameTrapWords(AArch64Arch::Instance(), r).empty());
}

TEST(ArchDescription, RegisterDescriptionIsWhatArchReports) {
  for (const Arch* arch : {ArchFor(ArchId::kX86_64), ArchFor(ArchId::kAArch64)}) {
    const RegisterDescription& d = arch->register_description();
    EXPECT_EQ(d.name, arch->name());
    EXPECT_EQ(d.gp_regs_size, arch->gp_regs_size());
    EXPECT_EQ(d.gdb_registers.data(), arch->GdbRegisters().data());
    EXPECT_EQ(d.target_xml, arch->TargetXml());
    EXPECT_EQ(d.fp_regset_type, arch->FpRegsetType());
    EXPECT_EQ(d.fp_regset_size, arch->FpRegsetSize());
    EXPECT_GT(d.fp_regset_size, 0u);
  }
}

TEST(ArchDescription, ThreadPointerIsX86FsBaseOnly) {
  Registers r = Numbered(Registers::kMaxWords);
  EXPECT_EQ(X86_64Arch::Instance().TcbAddress(r), r.Word(kX86FsBase));
  EXPECT_EQ(AArch64Arch::Instance().TcbAddress(r), std::nullopt);
}

}  // namespace
}  // namespace rwd::arch
