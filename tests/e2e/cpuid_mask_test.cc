// rewind record --cpuid-mask baseline (issue 14): cpuid tells the program
// an x86-64-v2 CPU, whether or not the CPU can make cpuid fault (without it,
// every cpuid instruction is patched like rdrand), so libgcc and glibc choose
// code that any x86-64 machine executes and the trace replays on another.
// `rewind ci` records so by default. A replay refuses a CPU lacking an
// instruction set the trace says the program could use.
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "core/host_cpu.h"
#include "tests/e2e/e2e_fixture.h"
#include "trace/header_file.h"
#include "trace/layout.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

// cpu_supports' output: "avx2 0", ..., "memcpy <hex>" as a map.
std::map<std::string, std::string> Fields(const std::string& out) {
  std::map<std::string, std::string> fields;
  for (const std::string& line : Lines(out)) {
    size_t space = line.find(' ');
    if (space != std::string::npos) fields[line.substr(0, space)] = line.substr(space + 1);
  }
  return fields;
}

std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

// The VEX- or EVEX-encoded instructions (AVX and later: their mnemonics
// start with 'v') among the first instructions of a function, up to its
// first return, as "vmovdqu ymm0, ..." lines.
std::string AvxInstructions(const std::string& hex) {
  const std::vector<uint8_t> code = FromHex(hex);
  std::string found;
  for (const arch::DecodedInsn& insn : arch::HostArch().Disassemble(code, 0, 32)) {
    if (!insn.text.empty() && insn.text[0] == 'v') found += insn.text + "\n";
    if (insn.is_return) break;
  }
  return found;
}

class CpuidMaskTest : public E2ETest {
 protected:
  void SetUp() override {
    E2ETest::SetUp();
    if (arch::HostArch().name() != "x86_64") GTEST_SKIP() << "cpuid exists on x86-64 only";
  }

  Recording RecordMasked(const std::string& program, const std::string& mask,
                         const std::vector<std::string>& args = {},
                         const RunOptions& options = {}) {
    Recording rec;
    rec.trace = NewPath("trace-" + mask);
    std::vector<std::string> argv = {"record",       "-o", rec.trace,
                                     "--cpuid-mask", mask, Program(program)};
    argv.insert(argv.end(), args.begin(), args.end());
    static_cast<RunResult&>(rec) = Rewind(argv, options);
    return rec;
  }

  // A baseline recording of `program` (cpu_supports, dynamic or static):
  // libgcc sees no AVX, and glibc's memcpy and strlen use none.
  void ExpectBaselineCode(const std::string& program) {
    RunResult native = RunNative(program);
    ASSERT_EQ(native.exit_status, 0) << native.Describe();
    std::map<std::string, std::string> host = Fields(native.out);

    Recording rec = RecordMasked(program, "baseline");
    ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
    std::map<std::string, std::string> seen = Fields(rec.out);
    EXPECT_EQ(seen["avx2"], "0") << rec.out;
    EXPECT_EQ(seen["avx512f"], "0") << rec.out;
    EXPECT_EQ(seen["avx"], "0") << rec.out;
    EXPECT_EQ(seen["sse4.2"], host["sse4.2"]) << "as the host has it:\n" << rec.out;
    for (const char* function : {"memcpy", "strlen"}) {
      ASSERT_NE(seen[function], "") << rec.out;
      EXPECT_EQ(AvxInstructions(seen[function]), "") << function << " is glibc's AVX variant";
      // The check can fail: where the host has AVX2, the native run's
      // variant uses it.
      if (host["avx2"] == "1") {
        EXPECT_NE(AvxInstructions(host[function]), "") << function << " natively";
      }
    }

    RunResult dump = Dump(rec.trace);
    ASSERT_EQ(dump.exit_status, 0) << dump.Describe();
    EXPECT_TRUE(AnyLineMatches(dump.out, "^  cpuid mask baseline$")) << dump.out;
    EXPECT_TRUE(AnyLineMatches(dump.out, "^  cpu features .*\\bsse2\\b")) << dump.out;
    EXPECT_FALSE(AnyLineMatches(dump.out, "^  cpu features .*\\b(avx|avx2|avx512f|fma)\\b"))
        << "a baseline trace needs no AVX on the replay machine:\n"
        << dump.out;
    // With cpuid faulting or patched sites, every cpuid is an event.
    EXPECT_TRUE(AnyLineMatches(dump.out, " insn-trap cpuid\\b")) << dump.out;
    ExpectReplaysIdentically(rec);
  }
};

TEST_F(CpuidMaskTest, BaselineHidesAvxFromLibgccAndGlibc) { ExpectBaselineCode("cpu_supports"); }

// A static program runs glibc's CPU set-up in its own code, not in ld.so.
TEST_F(CpuidMaskTest, BaselineHidesAvxInAStaticProgram) {
  ExpectBaselineCode("cpu_supports_static");
}

TEST_F(CpuidMaskTest, BaselineWithTheSyscallBuffer) {
  RunOptions buffered;
  buffered.env = {"REWIND_SYSCALLBUF=1"};
  Recording rec = RecordMasked("cpu_supports", "baseline", {}, buffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_EQ(Fields(rec.out)["avx2"], "0") << rec.out;
  EXPECT_EQ(AvxInstructions(Fields(rec.out)["strlen"]), "");
  ExpectReplaysIdentically(rec, 1, buffered);
}

TEST_F(CpuidMaskTest, NativeReportsTheHostFeatures) {
  RunResult native = RunNative("cpu_supports");
  ASSERT_EQ(native.exit_status, 0) << native.Describe();
  Recording rec = RecordMasked("cpu_supports", "native");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  std::map<std::string, std::string> host = Fields(native.out);
  std::map<std::string, std::string> seen = Fields(rec.out);
  for (const char* feature : {"avx2", "avx512f", "avx", "sse4.2"}) {
    EXPECT_EQ(seen[feature], host[feature]) << feature << "\n" << rec.out;
  }
  RunResult dump = Dump(rec.trace);
  EXPECT_TRUE(AnyLineMatches(dump.out, "^  cpuid mask native$")) << dump.out;
  if (host["avx2"] == "1") {
    EXPECT_TRUE(AnyLineMatches(dump.out, "^  cpu features .*\\bavx2\\b")) << dump.out;
  }
  RunResult info = Rewind({"info", rec.trace});
  EXPECT_TRUE(AnyLineMatches(info.out, "^cpuid +native$")) << info.out;
  ExpectReplaysIdentically(rec, 1);
}

// The recorder's other masking (what it cannot record) holds under the
// baseline too, and the CPU's identity stays.
TEST_F(CpuidMaskTest, BaselineKeepsTheVendorAndHidesRandomNumbers) {
  RunResult native = RunNative("cpuid_features");
  Recording rec = RecordMasked("cpuid_features", "baseline");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "rdrand 0\n")) << rec.out;
  EXPECT_TRUE(Contains(rec.out, "rdseed 0 hle 0 rtm 0 rdpid 0\n")) << rec.out;
  EXPECT_EQ(Fields(rec.out)["vendor"], Fields(native.out)["vendor"]);
  ExpectReplaysIdentically(rec, 1);
}

TEST_F(CpuidMaskTest, CiRecordsWithTheBaselineByDefault) {
  RunOptions cache;
  cache.env = {"XDG_CACHE_HOME=" + temp_dir() + "/xdg-cache"};
  RunResult native = RunNative("cpu_supports");
  for (const std::string mask : {"", "native"}) {
    SCOPED_TRACE(mask.empty() ? "default" : mask);
    const std::string out = NewPath("artifacts");
    std::vector<std::string> argv = {"ci", "-o", out, "--keep", "always"};
    if (!mask.empty()) argv.insert(argv.end(), {"--cpuid-mask", mask});
    argv.insert(argv.end(), {"--", Program("cpu_supports")});
    RunResult ci = Rewind(argv, cache);
    ASSERT_EQ(ci.exit_status, 0) << ci.Describe();
    const std::string expected = mask.empty() ? "0" : Fields(native.out)["avx2"];
    EXPECT_EQ(Fields(ci.out)["avx2"], expected) << ci.out;
    std::vector<std::string> artifacts;
    for (const auto& entry : fs::directory_iterator(out)) artifacts.push_back(entry.path());
    ASSERT_EQ(artifacts.size(), 1u);
    RunResult replay = ReplayAutopilot(artifacts[0], cache);
    EXPECT_EQ(replay.exit_status, 0) << replay.Describe();
    EXPECT_TRUE(SameBytes(ci.out, replay.out));
  }
}

// A trace whose program could use an instruction set this CPU lacks: the
// replay refuses before it starts, naming it. (The header is rewritten to
// claim one: this machine has what it recorded.)
TEST_F(CpuidMaskTest, ReplayRefusesACpuLackingARecordedInstructionSet) {
  const std::string host = HostCpuFeatures(arch::HostArch());
  std::string absent;
  for (const char* candidate : {"avx512_fp16", "amx_tile", "xop", "fma4", "avx512_4fmaps"}) {
    if (!Contains(" " + host + " ", std::string(" ") + candidate + " ")) {
      absent = candidate;
      break;
    }
  }
  if (absent.empty()) GTEST_SKIP() << "this CPU has every instruction set the test could claim";
  Recording rec = RecordMasked("cpu_supports", "native");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  Expected<trace::TraceHeader> header = trace::ReadHeaderFile(rec.trace);
  ASSERT_TRUE(header.ok()) << header.status().message();
  header->cpu_features += " " + absent;
  fs::remove(rec.trace + "/" + trace::kHeaderFileName);
  ASSERT_TRUE(trace::WriteHeaderFile(rec.trace, *header).ok());

  RunResult replay = ReplayAutopilot(rec.trace);
  EXPECT_NE(replay.exit_status, 0) << replay.Describe();
  EXPECT_EQ(replay.out, "") << "nothing of the program ran";
  EXPECT_TRUE(Contains(replay.err, "lacks instruction sets")) << replay.err;
  EXPECT_TRUE(Contains(replay.err, "(" + absent + ")")) << replay.err;
  EXPECT_TRUE(Contains(replay.err, "--cpuid-mask baseline")) << replay.err;
}

}  // namespace
}  // namespace rwd::e2e
