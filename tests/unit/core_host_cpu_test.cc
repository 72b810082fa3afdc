// The replay's check of a trace's CPU features against this machine's.
#include <gtest/gtest.h>

#include "core/host_cpu.h"

namespace rwd {
namespace {

const arch::Arch& X86() { return *arch::ArchByName("x86_64"); }

TEST(CheckCpuFeatures, NamesWhatTheReplayMachineLacks) {
  Status s = CheckCpuFeatures(X86(), "sse2 sse4_2 avx2 avx512f", arch::CpuidMask::kNative,
                              "sse2 sse4_2 avx2");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kUnsupported);
  EXPECT_NE(s.message().find("(avx512f)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--cpuid-mask baseline"), std::string::npos) << s.message();
}

TEST(CheckCpuFeatures, ABaselineTraceReplaysWithoutAvx) {
  // What a baseline recording on an AVX-512 machine lists, replayed on a
  // machine without AVX.
  const std::string recorded = X86().UsableCpuFeatures(
      "fpu cx8 cmov mmx fxsr sse sse2 syscall lm pni ssse3 cx16 sse4_1 sse4_2 popcnt avx avx2 "
      "avx512f lahf_lm",
      arch::CpuidMask::kBaseline);
  EXPECT_TRUE(CheckCpuFeatures(X86(), recorded, arch::CpuidMask::kBaseline,
                               "fpu cx8 cmov mmx fxsr sse sse2 syscall lm pni ssse3 cx16 sse4_1 "
                               "sse4_2 popcnt lahf_lm")
                  .ok());
}

TEST(CheckCpuFeatures, IgnoresTheKernelsOwnFlags) {
  // Older traces list every /proc/cpuinfo flag.
  EXPECT_TRUE(CheckCpuFeatures(X86(), "sse2 hypervisor constant_tsc rdrand cpuid_fault",
                               arch::CpuidMask::kNative, "sse2")
                  .ok());
}

}  // namespace
}  // namespace rwd
