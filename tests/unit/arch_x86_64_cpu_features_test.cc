// What cpuid tells recorded x86-64 programs under each mask, and which
// instruction sets a trace then needs on the replay machine.
#include <gtest/gtest.h>

#include <string>

#include "arch/x86_64/x86_64_arch.h"
#include "arch/x86_64/x86_64_cpu_features.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace rwd::arch {
namespace {

const X86_64Arch& X86() { return X86_64Arch::Instance(); }

constexpr uint32_t kAll = 0xffffffff;

CpuidResult Shaped(uint32_t leaf, uint32_t subleaf, CpuidMask mask) {
  CpuidResult r{kAll, kAll, kAll, kAll};
  ShapeRecordedCpuid(leaf, subleaf, mask, r);
  return r;
}

constexpr uint32_t Bit(int n) { return 1u << n; }

TEST(X86_64CpuFeatures, NativeHidesOnlyWhatRewindCannotRecord) {
  CpuidResult leaf1 = Shaped(1, 0, CpuidMask::kNative);
  EXPECT_EQ(leaf1.ecx, kAll & ~Bit(30)) << "rdrand only";
  EXPECT_EQ(leaf1.edx, kAll);
  CpuidResult leaf7 = Shaped(7, 0, CpuidMask::kNative);
  EXPECT_EQ(leaf7.ebx, kAll & ~(Bit(18) | Bit(11) | Bit(4))) << "rdseed rtm hle";
  EXPECT_EQ(leaf7.ecx, kAll & ~Bit(22)) << "rdpid";
  EXPECT_EQ(Shaped(7, 1, CpuidMask::kNative).eax, kAll);
}

TEST(X86_64CpuFeatures, BaselineIsX86_64V2) {
  CpuidResult leaf1 = Shaped(1, 0, CpuidMask::kBaseline);
  // SSE3, SSSE3, CX16, SSE4.1, SSE4.2, POPCNT; not PCLMULQDQ (1), FMA (12),
  // MOVBE (22), AES (25), XSAVE (26), OSXSAVE (27), AVX (28), F16C (29),
  // RDRAND (30), nor anything unnamed.
  EXPECT_EQ(leaf1.ecx, Bit(0) | Bit(9) | Bit(13) | Bit(19) | Bit(20) | Bit(23));
  EXPECT_EQ(leaf1.eax, kAll) << "family, model and stepping stay";
  EXPECT_EQ(leaf1.ebx, kAll) << "APIC id and clflush size stay";
  EXPECT_NE(leaf1.edx & (Bit(25) | Bit(26)), 0u) << "SSE and SSE2 stay";

  CpuidResult leaf7 = Shaped(7, 0, CpuidMask::kBaseline);
  EXPECT_EQ(leaf7.eax, 0u) << "no subleaf past 0";
  EXPECT_EQ(leaf7.ebx, Bit(9)) << "ERMS only: no AVX2 (5), BMI (3, 8), AVX-512 (16...)";
  EXPECT_EQ(leaf7.ecx, 0u);
  EXPECT_EQ(leaf7.edx, Bit(4)) << "FSRM only";
  CpuidResult leaf7_1 = Shaped(7, 1, CpuidMask::kBaseline);
  EXPECT_EQ(leaf7_1.eax | leaf7_1.ebx | leaf7_1.ecx | leaf7_1.edx, 0u);

  CpuidResult ext = Shaped(0x80000001, 0, CpuidMask::kBaseline);
  EXPECT_EQ(ext.ecx, Bit(0)) << "LAHF/SAHF only: no LZCNT (5), SSE4A (6), XOP (11), FMA4 (16)";
  EXPECT_EQ(ext.edx & (Bit(11) | Bit(29)), Bit(11) | Bit(29)) << "syscall, long mode";
  EXPECT_EQ(ext.edx & (Bit(22) | Bit(27) | Bit(30) | Bit(31)), 0u) << "no MMXEXT, RDTSCP, 3DNow!";
  EXPECT_EQ(Shaped(0x80000008, 0, CpuidMask::kBaseline).ebx, 0u) << "no CLZERO";

  // Leaves without features keep the CPU's values; so do XSAVE's sizes.
  for (uint32_t leaf : {0u, 4u, 0xdu, 0x80000000u, 0x80000002u, 0x80000006u}) {
    CpuidResult r = Shaped(leaf, 0, CpuidMask::kBaseline);
    EXPECT_EQ(r.eax & r.ebx & r.ecx & r.edx, kAll) << "leaf " << leaf;
  }
  // Leaf 1 ignores the subleaf register: a stale ecx changes nothing.
  EXPECT_EQ(Shaped(1, 5, CpuidMask::kBaseline).ecx, leaf1.ecx);
}

TEST(X86_64CpuFeatures, UsableFeaturesAreInstructionSetsUnderTheMask) {
  const std::string host =
      "fpu vme tsc cx8 cmov mmx fxsr sse sse2 ht syscall nx lm constant_tsc pni pclmulqdq ssse3 "
      "fma cx16 sse4_1 sse4_2 popcnt aes xsave avx rdrand hypervisor lahf_lm bmi1 avx2 bmi2 "
      "erms avx512f rdseed sha_ni fsrm rdtscp";
  EXPECT_EQ(X86().UsableCpuFeatures(host, CpuidMask::kNative),
            "fpu cx8 cmov mmx fxsr sse sse2 syscall lm pni pclmulqdq ssse3 fma cx16 sse4_1 "
            "sse4_2 popcnt aes xsave avx lahf_lm bmi1 avx2 bmi2 avx512f sha_ni");
  EXPECT_EQ(X86().UsableCpuFeatures(host, CpuidMask::kBaseline),
            "fpu cx8 cmov mmx fxsr sse sse2 syscall lm pni ssse3 cx16 sse4_1 sse4_2 popcnt "
            "lahf_lm");
  EXPECT_EQ(X86().UsableCpuFeatures("", CpuidMask::kNative), "");
}

// --- host operations: this test binary runs on x86-64 ----------------------

TEST(X86_64CpuFeaturesHost, BaselineCpuidReportsNoAvx) {
#if defined(__x86_64__)
  const TrapInsn cpuid = X86().DecodeTrapInsn(std::vector<uint8_t>{0x0f, 0xa2});
  Registers r;
  r.SetWord(kX86Rax, 1);
  std::vector<uint64_t> leaf1 = X86().host().ExecuteTrapInsn(r, cpuid, CpuidMask::kBaseline);
  ASSERT_EQ(leaf1.size(), 4u);
  EXPECT_EQ(leaf1[2] & (Bit(27) | Bit(28) | Bit(12)), 0u) << "osxsave avx fma";
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  __cpuid(1, eax, ebx, ecx, edx);
  EXPECT_EQ(leaf1[2] & Bit(20), ecx & Bit(20)) << "sse4.2 as the CPU has it";
  EXPECT_EQ(leaf1[0], eax) << "the CPU's family and model";
  r.SetWord(kX86Rax, 7);
  r.SetWord(kX86Rcx, 0);
  std::vector<uint64_t> leaf7 = X86().host().ExecuteTrapInsn(r, cpuid, CpuidMask::kBaseline);
  EXPECT_EQ(leaf7[1] & (Bit(5) | Bit(16)), 0u) << "avx2 avx512f";
#else
  GTEST_SKIP() << "executes cpuid: x86-64 hosts only";
#endif
}

}  // namespace
}  // namespace rwd::arch
