// Recording and replay under the CPU modes the tracer shares with its
// tracees (rdtsc faulting, and cpuid faulting where the CPU has it; see
// Arch::AdoptTraceeCpuModes): the program's cpuid is recorded, with the
// recorder's mask applied, wherever the CPU can make it fault.
#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

class CpuModesTest : public E2ETest {};

TEST_F(CpuModesTest, CpuidIsRecordedWhereTheCpuCanMakeItFault) {
  Recording rec = Record("cpuid_features");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  RunResult dump = Dump(rec.trace);
  ASSERT_EQ(dump.exit_status, 0) << dump.Describe();
  ASSERT_TRUE(AnyLineMatches(dump.out, " exec .*file mappings")) << dump.out;
  if (!AnyLineMatches(dump.out, " exec .*, cpuid recorded\\)$")) {
    GTEST_SKIP() << "this CPU cannot make cpuid fault (arch_prctl(ARCH_SET_CPUID) fails, no "
                    "cpuid_fault in /proc/cpuinfo): cpuid runs natively when recorded and "
                    "replayed";
  }
  EXPECT_TRUE(AnyLineMatches(dump.out, "^#[0-9]+ tid [0-9]+ insn-trap cpuid\\b")) << dump.out;
  // The recorder hides what it cannot trap, whatever the CPU has.
  EXPECT_TRUE(Contains(rec.out, "rdrand 0\n")) << rec.out;
  if (Contains(rec.out, "rdseed")) {
    EXPECT_TRUE(Contains(rec.out, "rdseed 0 hle 0 rtm 0 rdpid 0\n")) << rec.out;
  }
  ExpectReplaysIdentically(rec);
}

TEST_F(CpuModesTest, TimeStampsAndCpuidOfAProcessTreeReplay) {
  // sh runs time_sources twice in child processes: the modes pass through
  // fork and exec in the tracees, and the tracer's own are not theirs.
  std::string prog = Program("time_sources");
  Recording rec = Record("/bin/sh", {"-c", prog + "; " + prog});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_EQ(Lines(rec.out).size(), 2 * Lines(RunNative("time_sources").out).size()) << rec.out;
  RunResult dump = Dump(rec.trace);
  ASSERT_EQ(dump.exit_status, 0) << dump.Describe();
  if (Contains(rec.out, "rdtsc: ") && !AnyLineMatches(dump.out, " insn-trap rdtsc\\b")) {
    GTEST_SKIP() << "rdtsc does not fault here although PR_SET_TSC succeeds (a hypervisor that "
                    "ignores CR4.TSD, e.g. PVM): the time stamps cannot be recorded";
  }
  ExpectReplaysIdentically(rec);
}

}  // namespace
}  // namespace rwd::e2e
