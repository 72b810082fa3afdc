// Probe stubs: the x86-64 encoder on exact bytes (site choice, relocation,
// trampoline), then real tracees: a hot loop copied with a checkpoint fork,
// the original stopped asynchronously as the recorder would, and the copy
// sent to exactly that point through a probe.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "arch/aarch64/aarch64_arch.h"
#include "arch/x86_64/x86_64_arch.h"
#include "arch/x86_64/x86_64_probe.h"
#include "core/code_patcher.h"
#include "core/probe_stub.h"
#include "core/proc_maps.h"
#include "core/remote_syscall.h"

namespace rwd {
namespace {

using Bytes = std::vector<uint8_t>;

// --- the encoder, on bytes ---------------------------------------------------

const arch::ProbeEncoder& X86() { return *arch::ProbeEncoderFor(arch::X86_64Arch::Instance()); }

constexpr uint64_t kPc = 0x401000;
const Bytes kMovRaxRip = {0x48, 0x8b, 0x05, 0x00, 0x01, 0x00, 0x00};  // mov rax, [rip+0x100]
const Bytes kMovRaxRcx = {0x48, 0x89, 0xc8};                          // mov rax, rcx

int32_t Le32(const Bytes& b, size_t at) {
  int32_t v;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  out.resize(out.size() + 16, 0x90);  // room for the decoder to look ahead
  return out;
}

TEST(ProbeEncoder, EveryArchitectureHasOne) {
  EXPECT_NE(arch::ProbeEncoderFor(arch::X86_64Arch::Instance()), nullptr);
  EXPECT_NE(arch::ProbeEncoderFor(arch::AArch64Arch::Instance()), nullptr);
}

TEST(ProbeEncoder, LongInstructionIsPatchedAlone) {
  arch::ProbeSite site = X86().PlanSite(Cat({kMovRaxRip}), kPc, kPc);
  ASSERT_EQ(site.refusal, "");
  EXPECT_EQ(site.original, kMovRaxRip);
}

TEST(ProbeEncoder, ShortInstructionsAreDisplacedTogether) {
  const Bytes mov_eax = {0xb8, 0x01, 0x00, 0x00, 0x00};
  arch::ProbeSite site = X86().PlanSite(Cat({kMovRaxRcx, mov_eax}), kPc, kPc);
  ASSERT_EQ(site.refusal, "");
  EXPECT_EQ(site.original.size(), 8u);
}

TEST(ProbeEncoder, RipRelativeOperandIsReaimed) {
  const uint64_t to = 0x7f0000000000 + 0x40;
  Bytes out;
  ASSERT_EQ(arch::RelocateX86_64Code(kMovRaxRip, 0x7f0000100000, to, out), "");
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 3), Bytes(kMovRaxRip.begin(), kMovRaxRip.begin() + 3));
  EXPECT_EQ(to + 7 + Le32(out, 3), 0x7f0000100000 + 7 + 0x100);
}

TEST(ProbeEncoder, RipRelativeOperandOutOfReachIsRefused) {
  Bytes out;
  EXPECT_NE(arch::RelocateX86_64Code(kMovRaxRip, kPc, kPc + (uint64_t{3} << 30), out), "");
}

TEST(ProbeEncoder, ShortJccIsWidened) {
  Bytes out;
  ASSERT_EQ(arch::RelocateX86_64Code({{0x75, 0x10}}, kPc, 0x500000, out), "");
  ASSERT_EQ(out.size(), 6u);
  EXPECT_EQ(out[0], 0x0f);
  EXPECT_EQ(out[1], 0x85);
  EXPECT_EQ(0x500000 + 6 + Le32(out, 2), kPc + 2 + 0x10);
  // And a jcc at the site may take following instructions with it.
  arch::ProbeSite site = X86().PlanSite(Cat({{0x75, 0x10}, kMovRaxRcx}), kPc, kPc);
  EXPECT_EQ(site.refusal, "");
  EXPECT_EQ(site.original.size(), 5u);
}

// Where each displaced instruction's copy starts: after the widened jcc,
// the next one sits 4 bytes further from the copy's start than from the
// site (a debugger's breakpoint on it goes there).
TEST(ProbeEncoder, ReportsWhereEachCopyStarts) {
  Bytes out = {0x90};
  std::vector<arch::ProbeCode::Relocated> starts;
  const Bytes jne_then_mov = {0x75, 0x10, 0x48, 0x89, 0xc8};
  ASSERT_EQ(arch::RelocateX86_64Code(jne_then_mov, kPc, 0x500001, out, &starts), "");
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0].original, kPc);
  EXPECT_EQ(starts[0].copy, 0x500001u);
  EXPECT_EQ(starts[1].original, kPc + 2);
  EXPECT_EQ(starts[1].copy, 0x500001u + 6);
}

TEST(ProbeEncoder, RefusesSitesItCannotPatchSafely) {
  struct Case {
    const char* what;
    Bytes code;
  };
  const Case cases[] = {
      {"short jmp: what follows may be a branch target", Cat({{0xeb, 0x10}})},
      {"too short before a ret", Cat({kMovRaxRcx, {0xc3}})},
      {"too short before a jcc", Cat({kMovRaxRcx, {0x75, 0xf0}})},
      {"a call", Cat({{0xe8, 0, 0, 0, 0}})},
      {"a syscall", Cat({{0x0f, 0x05}, kMovRaxRcx})},
      {"endbr64", Cat({{0xf3, 0x0f, 0x1e, 0xfa}, kMovRaxRcx})},
      {"a breakpoint planted by someone else", Cat({{0xcc}, kMovRaxRip})},
  };
  for (const Case& c : cases) {
    EXPECT_NE(X86().PlanSite(c.code, kPc, kPc).refusal, "") << c.what;
  }
}

TEST(ProbeEncoder, RefusesWhenABranchLandsInsideTheDisplacedBytes) {
  // jmp -> kPc+3 (the second displaced instruction), then the site.
  Bytes code = {0xeb, 0x03};
  const uint64_t start = kPc - code.size();
  Bytes tail = Cat({kMovRaxRcx, kMovRaxRcx});
  code.insert(code.end(), tail.begin(), tail.end());
  arch::ProbeSite site = X86().PlanSite(code, start, kPc);
  EXPECT_NE(site.refusal.find("lands inside"), std::string::npos) << site.refusal;
  // A branch to the site itself is fine: the patch starts there.
  code[1] = 0x00;
  EXPECT_EQ(X86().PlanSite(code, start, kPc).refusal, "");
}

TEST(ProbeEncoder, BuildsPatchTrampolineAndData) {
  arch::ProbeSite site = X86().PlanSite(Cat({kMovRaxRip}), kPc, kPc);
  arch::Registers target;
  for (size_t i = 0; i < arch::kX86NumGpWords; ++i) target.SetWord(i, 0x1000 + i);
  const uint64_t code_addr = 0x300000, data_addr = 0x308000;
  arch::ProbeCode code = X86().Build(site, target, code_addr, data_addr, std::nullopt, false, {});
  ASSERT_EQ(code.refusal, "");
  // jmp rel32 to the trampoline, int3 over the rest of the displaced bytes.
  ASSERT_EQ(code.patch.size(), 7u);
  EXPECT_EQ(code.patch[0], 0xe9);
  EXPECT_EQ(kPc + 5 + Le32(code.patch, 1), code_addr);
  EXPECT_EQ(code.patch[5], 0xcc);
  EXPECT_EQ(code.patch[6], 0xcc);
  ASSERT_LE(code.code.size(), X86().code_slot_size());
  EXPECT_EQ(code.code[code.trap_pc - 1 - code_addr], 0xcc);
  // The relocated instruction, then the jump back past the displaced bytes.
  const size_t bypass = code.bypass_pc - code_addr;
  EXPECT_EQ(code_addr + bypass + 7 + Le32(code.code, bypass + 3), kPc + 7 + 0x100);
  EXPECT_EQ(code.code[bypass + 7], 0xe9);
  EXPECT_EQ(code.bypass_pc + 12 + Le32(code.code, bypass + 8), kPc + 7);
  EXPECT_EQ(code.code.size(), bypass + 12);
  // The first check compares rax: data holds -rax's target.
  ASSERT_LE(code.data.size(), X86().data_slot_size());
  uint64_t first;
  std::memcpy(&first, code.data.data() + 16, 8);
  EXPECT_EQ(first, 0 - target.Word(arch::kX86Rax));
  // A trampoline beyond rel32 reach is refused rather than mis-encoded.
  EXPECT_NE(
      X86().Build(site, target, kPc + (uint64_t{3} << 30), data_addr, std::nullopt, false, {}).refusal,
      "");
}

// With the target's vector registers the trampoline also compares xmm0-15,
// whose targets go to the data slot; the longest site, a memory check and
// counting still fit the slots.
TEST(ProbeEncoder, ComparesXmmRegistersWhenGivenThem) {
  arch::ProbeSite site = X86().PlanSite(Cat({{0x75, 0x10}, kMovRaxRcx}), kPc, kPc);
  ASSERT_EQ(site.refusal, "");
  arch::Registers target;
  Bytes vectors(arch::kX86VectorValuesXmm + 512);
  for (size_t i = 0; i < vectors.size(); ++i) vectors[i] = static_cast<uint8_t>(i * 7);
  const uint64_t code_addr = 0x300000, data_addr = 0x308000;
  const arch::ProbeMemCheck mem{-0x18, 0x123456789};
  arch::ProbeCode with = X86().Build(site, target, code_addr, data_addr, mem, true, vectors);
  arch::ProbeCode without = X86().Build(site, target, code_addr, data_addr, mem, true, {});
  ASSERT_EQ(with.refusal, "");
  EXPECT_LE(with.code.size(), X86().code_slot_size());
  EXPECT_LE(with.data.size(), X86().data_slot_size());
  EXPECT_GT(with.code.size(), without.code.size() + 15 * 30);
  // xmm5's target, from the xmm part of the values.
  ASSERT_GE(with.data.size(), 272u + 256u);
  EXPECT_EQ(Bytes(with.data.begin() + 272 + 5 * 16, with.data.begin() + 272 + 6 * 16),
            Bytes(vectors.begin() + arch::kX86VectorValuesXmm + 5 * 16,
                  vectors.begin() + arch::kX86VectorValuesXmm + 6 * 16));
  // The pass counter stays where it was.
  EXPECT_EQ(with.pass_counter, data_addr + 248);
}

// With a memory check, rax then rsp are compared, then the stack word with
// rax as scratch (reloaded from data before the jrcxz), then the rest.
TEST(ProbeEncoder, BuildsStackWordCheckAfterRaxAndRsp) {
  arch::ProbeSite site = X86().PlanSite(Cat({kMovRaxRip}), kPc, kPc);
  arch::Registers target;
  for (size_t i = 0; i < arch::kX86NumGpWords; ++i) target.SetWord(i, 0x1000 + i);
  const uint64_t code_addr = 0x300000, data_addr = 0x308000;
  const arch::ProbeMemCheck mem{-0x18, 0x123456789};
  arch::ProbeCode with = X86().Build(site, target, code_addr, data_addr, mem, false, {});
  arch::ProbeCode without = X86().Build(site, target, code_addr, data_addr, std::nullopt, false, {});
  ASSERT_EQ(with.refusal, "");
  ASSERT_EQ(without.refusal, "");
  ASSERT_LE(with.code.size(), X86().code_slot_size());
  ASSERT_LE(with.data.size(), X86().data_slot_size());
  const auto rip_target = [&](size_t insn_end) {
    return code_addr + insn_end + Le32(with.code, insn_end - 4);
  };

  // mov [rip+d], rcx (save) | rax check | rsp check, 7 + 18 + 18 bytes.
  EXPECT_EQ(Bytes(with.code.begin() + 25, with.code.begin() + 28), Bytes({0x48, 0x8b, 0x0d}));
  EXPECT_EQ(rip_target(32), data_addr + 24);  // -rsp's target, the second value
  EXPECT_EQ(Bytes(with.code.begin() + 32, with.code.begin() + 36),
            Bytes({0x48, 0x8d, 0x0c, 0x0c}));  // lea rcx, [rsp + rcx]
  const size_t m = 43;
  const Bytes expected_block = {
      0x48, 0x8b, 0x84, 0x24, 0xe8, 0xff, 0xff, 0xff,  // mov rax, [rsp - 0x18]
      0x48, 0x8b, 0x0d, 0,    0,    0,    0,           // mov rcx, [rip + neg_mem]
      0x48, 0x8d, 0x0c, 0x08,                          // lea rcx, [rax + rcx]
      0x48, 0x8b, 0x05, 0,    0,    0,    0,           // mov rax, [rip + target_rax]
      0xe3, 0x05, 0xe9};                               // jrcxz +5; jmp miss
  Bytes block(with.code.begin() + m, with.code.begin() + m + expected_block.size());
  for (size_t at : {11, 12, 13, 14, 22, 23, 24, 25}) block[at] = 0;
  EXPECT_EQ(block, expected_block);
  EXPECT_EQ(rip_target(m + 15), data_addr + 16 + 8 * 16);  // after the 16 register checks
  EXPECT_EQ(rip_target(m + 26), data_addr + 8);            // rax's target
  // The miss jump leaves for the same label as every other check's.
  EXPECT_EQ(rip_target(m + 33), code_addr + (with.bypass_pc - code_addr) - 7);
  EXPECT_EQ(with.code.size(), without.code.size() + 33);

  const auto data_word = [&](const arch::ProbeCode& code, size_t at) {
    uint64_t v;
    std::memcpy(&v, code.data.data() + at, 8);
    return v;
  };
  EXPECT_EQ(data_word(with, 8), target.Word(arch::kX86Rax));
  EXPECT_EQ(data_word(with, 16), 0 - target.Word(arch::kX86Rax));
  EXPECT_EQ(data_word(with, 24), 0 - target.Word(arch::kX86Rsp));
  ASSERT_EQ(with.data.size(), 16 + 8 * 17u);
  EXPECT_EQ(data_word(with, 16 + 8 * 16), 0 - mem.value);
  // Without a check the layout is as before: rsp last, no word.
  ASSERT_EQ(without.data.size(), 16 + 8 * 16u);
  EXPECT_EQ(data_word(without, 16 + 8 * 13), 0 - target.Word(arch::kX86Rsp));
  // r11 is the tracer's to compare at the trap: no check holds it.
  for (size_t at = 16; at < without.data.size(); at += 8) {
    EXPECT_NE(data_word(without, at), 0 - target.Word(arch::kX86R11)) << at;
  }
  // Everything after the check is the same code, 33 bytes further on.
  EXPECT_EQ(with.trap_pc - without.trap_pc, 33u);
  EXPECT_EQ(with.bypass_pc - without.bypass_pc, 33u);
  EXPECT_EQ(with.patch, without.patch);
}

TEST(VaryingStackWord, FindsTheLowestWordThatDiffers) {
  Bytes first(kVaryingStackBytes, 0x5a);
  Bytes second = first;
  EXPECT_EQ(VaryingStackWord(first, second), std::nullopt);
  second[128 + 0x13] = 1;  // in the word at sp+0x10
  EXPECT_EQ(VaryingStackWord(first, second), 0x10);
  second[kVaryingStackBytes - 1] = 1;  // and the last word, sp+0xff8
  EXPECT_EQ(VaryingStackWord(first, second), 0x10);
  second[0x60] = 1;  // a red-zone word, sp-0x20, is lower still
  EXPECT_EQ(VaryingStackWord(first, second), -0x20);
  // Only what both snapshots hold is compared.
  EXPECT_EQ(VaryingStackWord(std::span(first).first(0x60), second), std::nullopt);
}

TEST(WordSeparatingPasses, PicksAWordThatChangesAndIsNotTheRecordedValueYet) {
  auto with_word = [](int32_t sp_offset, uint64_t value) {
    Bytes window(kVaryingStackBytes, 0x5a);
    std::memcpy(window.data() + kVaryingStackBelowSp + sp_offset, &value, sizeof value);
    return window;
  };
  // A counter at sp+0x90 (as `openssl speed`'s, above the digest's frame).
  Bytes recorded = with_word(0x90, 1000), previous = with_word(0x90, 7),
        current = with_word(0x90, 8);
  std::optional<ProbeMemCheck> check = WordSeparatingPasses(recorded, previous, current);
  ASSERT_TRUE(check.has_value());
  EXPECT_EQ(check->sp_offset, 0x90);
  EXPECT_EQ(check->value, 1000u);
  // Nothing changes between passes: no word to compare.
  EXPECT_EQ(WordSeparatingPasses(recorded, current, current), std::nullopt);
  // The current pass already holds the recorded value: it cannot filter.
  EXPECT_EQ(WordSeparatingPasses(current, previous, current), std::nullopt);
  // A changing red-zone word is taken only when nothing at or above sp is.
  Bytes red_previous = previous, red_current = current, red_recorded = recorded;
  red_previous[0x10] = 1, red_current[0x10] = 2, red_recorded[0x10] = 3;
  EXPECT_EQ(WordSeparatingPasses(red_recorded, red_previous, red_current)->sp_offset, 0x90);
  Bytes only_red_previous(kVaryingStackBytes, 0x5a), only_red_current = only_red_previous;
  only_red_previous[0x10] = 1, only_red_current[0x10] = 2;
  EXPECT_EQ(WordSeparatingPasses(red_recorded, only_red_previous, only_red_current)->sp_offset,
            0x10 - kVaryingStackBelowSp);
}

// --- real tracees ------------------------------------------------------------

// Far more than the target, so that a loaded machine's slow polling still
// stops the original inside the loop.
constexpr uint64_t kIterations = 100'000'000;
constexpr uint64_t kTargetIteration = 10'000'000;

volatile uint64_t g_iteration;  // progress the test reads from outside

// The hot loop: the volatile store is a RIP-relative instruction a probe
// may displace and relocate.
[[gnu::noinline]] uint64_t HotLoop(uint64_t n) {
  uint64_t acc = 0;
  for (uint64_t i = 0; i < n; ++i) {
    acc = acc * 31 + i;
    g_iteration = i;
  }
  return acc;
}

// Kills and reaps (as tracer) whatever the test leaves behind.
struct Reaper {
  std::vector<pid_t> pids;
  ~Reaper() {
    for (pid_t pid : pids) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, __WALL);
    }
  }
};

double MsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// An original running HotLoop natively and a checkpoint copy of it taken
// before the loop; `target` is the original's registers once it passed
// kTargetIteration, stepped on until a probe could be installed at its pc.
class ProbeStubTracee : public testing::Test {
 protected:
  void SetUp() override {
    if (arch::ProbeEncoderFor(arch::HostArch()) == nullptr) {
      GTEST_SKIP() << "no probe encoder for " << arch::HostArch().name();
    }
    ASSERT_EQ(pipe(result_pipe_), 0);
    g_iteration = 0;  // an earlier test's HotLoop in this process left it high
    pid_t pid = fork();
    if (pid == 0) {
      if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(99);
      raise(SIGSTOP);
      const uint64_t result = HotLoop(kIterations);
      if (write(result_pipe_[1], &result, sizeof(result)) != sizeof(result)) _exit(98);
      _exit(0);
    }
    reaper_.pids.push_back(pid);
    original_.emplace(pid, arch::HostArch());
    ASSERT_TRUE(Stopped(*original_, SIGSTOP));
    ASSERT_TRUE(
        original_->SetOptions(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE)
            .ok());
    Expected<uint64_t> insn = CodePatcher().PatchVdso(*original_);
    ASSERT_TRUE(insn.ok()) << insn.status().ToString();
    syscall_insn_ = *insn;
    Expected<pid_t> copy = ForkTracee(*original_, syscall_insn_);
    ASSERT_TRUE(copy.ok()) << copy.status().ToString();
    reaper_.pids.push_back(*copy);
    copy_.emplace(*copy, arch::HostArch());

    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(original_->Resume(ResumeMode::kCont).ok());
    while (Iteration() < kTargetIteration) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    ASSERT_EQ(kill(pid, SIGSTOP), 0);
    ASSERT_TRUE(Stopped(*original_, SIGSTOP));
    native_ms_ = MsSince(start);
    target_iteration_ = Iteration();
    target_ = *original_->GetRegisters();
    for (int steps = 0; !probe_; ++steps) {
      const uint64_t pc = arch::HostArch().Pc(target_);
      Expected<ProbeStub> probe = ProbeStub::Install(*copy_, pages_, syscall_insn_, pc, target_);
      if (probe.ok()) {
        probe_.emplace(std::move(*probe));
        std::printf("probe at 0x%llx covering %zu bytes\n", static_cast<unsigned long long>(pc),
                    probe_->patch_size());
        break;
      }
      ASSERT_EQ(probe.status().code(), ErrorCode::kUnsupported) << probe.status().ToString();
      ASSERT_LT(steps, 16) << "no patchable pc in the loop";
      std::printf("stepping on: %s\n", probe.status().message().c_str());
      ASSERT_TRUE(original_->Resume(ResumeMode::kSingleStep).ok());
      ASSERT_TRUE(Stopped(*original_, SIGTRAP));
      target_ = *original_->GetRegisters();
    }
  }

  static bool Stopped(const Tracee& t, int signo) {
    Expected<WaitStatus> ws = t.Wait();
    return ws.ok() && ws->kind == WaitStatus::Kind::kSignalStop && ws->signo == signo;
  }
  uint64_t Iteration() const {
    return *original_->Read<uint64_t>(reinterpret_cast<uint64_t>(&g_iteration));
  }

  // Runs the copy to the probe's trap; returns its registers there.
  arch::Registers RunCopyToHit() {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(copy_->Resume(ResumeMode::kCont).ok());
    EXPECT_TRUE(Stopped(*copy_, SIGTRAP)) << "the copy never reached the target";
    const double ms = MsSince(start);
    arch::Registers regs = *copy_->GetRegisters();
    Expected<bool> hit = probe_->TakeHit(*copy_, regs);
    EXPECT_TRUE(hit.ok() && *hit);
    // Native time is an upper bound (it includes up to one polling period).
    std::printf("iteration %llu: native %.1f ms, through the probe %.1f ms (%.2f ns/pass more)\n",
                static_cast<unsigned long long>(target_iteration_), native_ms_, ms,
                (ms - native_ms_) * 1e6 / static_cast<double>(target_iteration_));
    // Not a timing test (bench/ measures speed): a trap per pass would take
    // minutes, which this bound still catches on a loaded machine.
    EXPECT_LT(ms, 60000);
    return regs;
  }

  // Both processes run to their end; each wrote HotLoop's result.
  void ExpectBothFinishCorrectly() {
    for (Tracee* t : {&*original_, &*copy_}) {
      ASSERT_TRUE(t->Resume(ResumeMode::kCont).ok());
      Expected<WaitStatus> ws = t->Wait();
      ASSERT_TRUE(ws.ok());
      EXPECT_EQ(ws->kind, WaitStatus::Kind::kExited) << ws->ToString();
      EXPECT_EQ(ws->exit_code, 0);
    }
    static const uint64_t expected = HotLoop(kIterations);
    for (int i = 0; i < 2; ++i) {
      uint64_t result = 0;
      ASSERT_EQ(read(result_pipe_[0], &result, sizeof(result)), 8);
      EXPECT_EQ(result, expected);
    }
  }

  void TearDown() override {
    for (int fd : result_pipe_) {
      if (fd >= 0) close(fd);
    }
  }

  int result_pipe_[2] = {-1, -1};
  Reaper reaper_;
  std::optional<Tracee> original_, copy_;
  uint64_t syscall_insn_ = 0;
  double native_ms_ = 0;
  uint64_t target_iteration_ = 0;
  arch::Registers target_;
  ProbePages pages_;
  std::optional<ProbeStub> probe_;
};

TEST_F(ProbeStubTracee, StopsAtTheFingerprintAndRunsOnThroughTheProbe) {
  arch::Registers regs = RunCopyToHit();
  EXPECT_EQ(regs, target_) << "hit:    " << arch::HostArch().DescribeRegisters(regs)
                           << "\ntarget: " << arch::HostArch().DescribeRegisters(target_);
  // The trampoline pages sit below the test binary, which holds the loop.
  Expected<std::vector<MemoryMapping>> maps = ReadMappings(copy_->tid());
  ASSERT_TRUE(maps.ok());
  const MemoryMapping* exe = nullptr;
  for (const MemoryMapping& m : *maps) {
    if (m.start <= probe_->pc() && probe_->pc() < m.end) exe = &m;
  }
  ASSERT_NE(exe, nullptr);
  ASSERT_EQ(pages_.areas().size(), 1u);
  for (const MemoryMapping& m : *maps) {
    if (m.path == exe->path) {
      EXPECT_LT(pages_.areas()[0].end, m.start);
    }
  }
  // The remaining 9 * 10^7 iterations run through the probe's relocated
  // instructions without a further hit.
  arch::HostArch().SetPc(regs, probe_->bypass_pc());
  ASSERT_TRUE(copy_->SetRegisters(regs).ok());
  ExpectBothFinishCorrectly();
}

TEST_F(ProbeStubTracee, RemoveRestoresTheBytesAndSteppingMatchesTheOriginal) {
  const uint64_t pc = probe_->pc();
  Bytes original = *original_->ReadBytes(pc, probe_->patch_size());
  Bytes seen = *copy_->ReadBytes(pc, original.size());
  EXPECT_NE(seen, original);
  probe_->Unpatch(pc, seen);
  EXPECT_EQ(seen, original);

  arch::Registers regs = RunCopyToHit();
  ASSERT_TRUE(probe_->Remove(*copy_).ok());
  EXPECT_EQ(*copy_->ReadBytes(pc, original.size()), original);

  // A thread stopped inside what a patch would displace is refused, and
  // nothing is written.
  if (probe_->patch_size() > 1) {
    arch::Registers inside = regs;
    arch::HostArch().SetPc(inside, pc + 1);
    ASSERT_TRUE(copy_->SetRegisters(inside).ok());
    Expected<ProbeStub> refused = ProbeStub::Install(*copy_, pages_, syscall_insn_, pc, target_);
    EXPECT_EQ(refused.status().code(), ErrorCode::kUnsupported);
    EXPECT_EQ(*copy_->ReadBytes(pc, original.size()), original);
    ASSERT_TRUE(copy_->SetRegisters(regs).ok());
  }

  // One step from the site does in the copy what it does in the original.
  for (Tracee* t : {&*original_, &*copy_}) {
    ASSERT_TRUE(t->Resume(ResumeMode::kSingleStep).ok());
    ASSERT_TRUE(Stopped(*t, SIGTRAP));
  }
  arch::Registers stepped_original = *original_->GetRegisters();
  arch::Registers stepped_copy = *copy_->GetRegisters();
  EXPECT_NE(arch::HostArch().Pc(stepped_copy), pc);
  EXPECT_EQ(stepped_copy, stepped_original);
  ExpectBothFinishCorrectly();
}

// The store to g_iteration, found by its RIP-relative displacement: a site
// whose relocation must re-aim an operand. Several probes share one area.
TEST_F(ProbeStubTracee, RelocatedRipRelativeStoreWritesTheSameVariable) {
  ASSERT_TRUE(probe_->Remove(*copy_).ok());
  const uint64_t loop = arch::HostArch().Pc(target_);
  const Bytes code = *original_->ReadBytes(loop - 32, 64);
  const uint64_t variable = reinterpret_cast<uint64_t>(&g_iteration);
  uint64_t store = 0;
  for (size_t at = 0; at + 7 <= code.size() && store == 0; ++at) {
    // mov [rip+disp32], reg: 7 bytes ending in the displacement.
    if (loop - 32 + at + 7 + static_cast<int64_t>(Le32(code, at + 3)) == variable) {
      store = loop - 32 + at;
    }
  }
  ASSERT_NE(store, 0u) << "no RIP-relative store to g_iteration near the loop";
  for (int steps = 0; arch::HostArch().Pc(target_) != store; ++steps) {
    ASSERT_LT(steps, 64);
    ASSERT_TRUE(original_->Resume(ResumeMode::kSingleStep).ok());
    ASSERT_TRUE(Stopped(*original_, SIGTRAP));
    target_ = *original_->GetRegisters();
  }
  Expected<ProbeStub> probe = ProbeStub::Install(*copy_, pages_, syscall_insn_, store, target_);
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  probe_.emplace(std::move(*probe));
  EXPECT_EQ(pages_.areas().size(), 1u);
  EXPECT_GE(pages_.areas()[0].used, 2u);

  arch::Registers regs = RunCopyToHit();
  EXPECT_EQ(regs, target_);
  // One relocated store, executed by the copy from the trampoline, must
  // land in the program's variable: the copy reads one iteration behind the
  // original until it passes the store.
  const uint64_t before = *copy_->Read<uint64_t>(variable);
  arch::HostArch().SetPc(regs, probe_->bypass_pc());
  ASSERT_TRUE(copy_->SetRegisters(regs).ok());
  ASSERT_TRUE(copy_->Resume(ResumeMode::kSingleStep).ok());
  ASSERT_TRUE(Stopped(*copy_, SIGTRAP));
  EXPECT_EQ(*copy_->Read<uint64_t>(variable), before + 1);
  ExpectBothFinishCorrectly();
}

// Counting names a pass without a branch counter: a counting probe finds how
// many times the copy arrived at pc up to the target, and a countdown probe
// in a second copy stops at exactly that arrival, in the target's state.
TEST_F(ProbeStubTracee, CountdownStopsAtTheArrivalACountingProbeCounted) {
  const uint64_t pc = probe_->pc();
  ASSERT_TRUE(probe_->Remove(*copy_).ok());
  Expected<pid_t> second_pid = ForkTracee(*copy_, syscall_insn_);
  ASSERT_TRUE(second_pid.ok()) << second_pid.status().ToString();
  reaper_.pids.push_back(*second_pid);
  Tracee second(*second_pid, arch::HostArch());

  Expected<ProbeStub> counting =
      ProbeStub::InstallCounting(*copy_, pages_, syscall_insn_, pc, target_);
  ASSERT_TRUE(counting.ok()) << counting.status().ToString();
  probe_.emplace(std::move(*counting));
  EXPECT_EQ(RunCopyToHit(), target_);
  Expected<uint64_t> passes = probe_->Passes(*copy_);
  ASSERT_TRUE(passes.ok()) << passes.status().ToString();
  // One arrival per iteration, the target's included.
  EXPECT_GE(*passes, target_iteration_);
  EXPECT_LE(*passes, target_iteration_ + 2);

  ProbePages second_pages;
  Expected<ProbeStub> countdown =
      ProbeStub::InstallCountdown(second, second_pages, syscall_insn_, pc, *passes);
  ASSERT_TRUE(countdown.ok()) << countdown.status().ToString();
  ASSERT_TRUE(second.Resume(ResumeMode::kCont).ok());
  ASSERT_TRUE(Stopped(second, SIGTRAP)) << "the second copy never trapped";
  arch::Registers regs = *second.GetRegisters();
  Expected<bool> hit = countdown->TakeHit(second, regs);
  ASSERT_TRUE(hit.ok() && *hit);
  EXPECT_EQ(regs, target_) << "hit:    " << arch::HostArch().DescribeRegisters(regs)
                           << "\ntarget: " << arch::HostArch().DescribeRegisters(target_);
  EXPECT_EQ(*countdown->Passes(second), 0u);
  // Past the hit, the program runs on to its own end through the probe.
  arch::HostArch().SetPc(regs, countdown->bypass_pc());
  ASSERT_TRUE(second.SetRegisters(regs).ok());
  ASSERT_TRUE(second.Resume(ResumeMode::kCont).ok());
  Expected<WaitStatus> ws = second.Wait();
  ASSERT_TRUE(ws.ok());
  EXPECT_EQ(ws->kind, WaitStatus::Kind::kExited) << ws->ToString();
  uint64_t result = 0;
  ASSERT_EQ(read(result_pipe_[0], &result, sizeof(result)), 8);
  EXPECT_EQ(result, HotLoop(kIterations));
}

// --- a loop whose only progress is a word on its stack ----------------------

// The original is stopped once past kStackTarget, well before the end.
constexpr uint64_t kStackPasses = 250'000'000;
constexpr uint64_t kStackTarget = 100'000'000;

uint64_t* volatile g_stack_counter;  // where the test reads the loop's progress

// What unoptimized code makes of `for (c = 0; c < n; c++)` with an always-
// zero register around the body: the counter lives on the stack, and at the
// load of it (rwd_test_stack_loop_load) every register and flag is the same
// on every pass. Returns the counter, n.
extern "C" const char rwd_test_stack_loop_load[];
[[gnu::noinline, gnu::noclone]] uint64_t StackCounterLoop(uint64_t n) {
  uint64_t counter = 0;
  g_stack_counter = &counter;
  asm volatile(
      "1:\n"
      "  mov %[c], %%rax\n"
      "  cmp %[n], %%rax\n"
      "  jae 2f\n"
      "  xor %%eax, %%eax\n"
      "  .globl rwd_test_stack_loop_load\n"
      "  .hidden rwd_test_stack_loop_load\n"
      "rwd_test_stack_loop_load:\n"
      "  mov %[c], %%rax\n"
      "  add $1, %%rax\n"
      "  mov %%rax, %[c]\n"
      "  jmp 1b\n"
      "2:\n"
      : [c] "+m"(counter)
      : [n] "r"(n)
      : "rax", "cc");
  g_stack_counter = nullptr;
  return counter;
}

TEST(ProbeStubStackWord, StopsAtThePassWhoseStackCounterMatches) {
  if (arch::ProbeEncoderFor(arch::HostArch()) == nullptr) {
    GTEST_SKIP() << "no probe encoder for " << arch::HostArch().name();
  }
  int result_pipe[2];
  ASSERT_EQ(pipe(result_pipe), 0);
  Reaper reaper;
  pid_t pid = fork();
  if (pid == 0) {
    if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(99);
    raise(SIGSTOP);
    const uint64_t result = StackCounterLoop(kStackPasses);
    if (write(result_pipe[1], &result, sizeof(result)) != sizeof(result)) _exit(98);
    _exit(0);
  }
  reaper.pids.push_back(pid);
  Tracee original(pid, arch::HostArch());
  const auto stopped = [](const Tracee& t, int signo) {
    Expected<WaitStatus> ws = t.Wait();
    return ws.ok() && ws->kind == WaitStatus::Kind::kSignalStop && ws->signo == signo;
  };
  ASSERT_TRUE(stopped(original, SIGSTOP));
  ASSERT_TRUE(
      original.SetOptions(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE).ok());
  Expected<uint64_t> syscall_insn = CodePatcher().PatchVdso(original);
  ASSERT_TRUE(syscall_insn.ok()) << syscall_insn.status().ToString();
  Expected<pid_t> copy_pid = ForkTracee(original, *syscall_insn);
  ASSERT_TRUE(copy_pid.ok()) << copy_pid.status().ToString();
  reaper.pids.push_back(*copy_pid);
  Tracee copy(*copy_pid, arch::HostArch());

  // The original runs natively past kStackTarget and is stopped wherever it
  // is, then stepped to the load, twice: two passes with the same registers.
  const arch::Arch& arch = arch::HostArch();
  const uint64_t site = reinterpret_cast<uint64_t>(rwd_test_stack_loop_load);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(original.Resume(ResumeMode::kCont).ok());
  const auto progress = [&]() -> uint64_t {
    const uint64_t at = *original.Read<uint64_t>(reinterpret_cast<uint64_t>(&g_stack_counter));
    return at == 0 ? 0 : *original.Read<uint64_t>(at);
  };
  while (progress() < kStackTarget) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ASSERT_EQ(kill(pid, SIGSTOP), 0);
  ASSERT_TRUE(stopped(original, SIGSTOP));
  const double native_ms = MsSince(start);
  struct Pass {
    arch::Registers regs;
    Bytes stack;
  };
  // Steps at least once, so two calls see two passes.
  const auto step_to_site = [&]() -> Pass {
    for (int steps = 0; steps < 16; ++steps) {
      EXPECT_TRUE(original.Resume(ResumeMode::kSingleStep).ok());
      EXPECT_TRUE(stopped(original, SIGTRAP));
      arch::Registers regs = *original.GetRegisters();
      if (arch.Pc(regs) == site) {
        return {regs,
                *original.ReadBytes(arch.Sp(regs) - kVaryingStackBelowSp, kVaryingStackBytes)};
      }
    }
    ADD_FAILURE() << "the original never came to the load";
    return {};
  };
  const Pass first = step_to_site();
  const Pass second = step_to_site();
  ASSERT_EQ(first.regs, second.regs) << "the loop's registers change between passes";
  std::optional<int32_t> offset = VaryingStackWord(first.stack, second.stack);
  ASSERT_TRUE(offset.has_value());
  uint64_t before, counter;
  std::memcpy(&before, first.stack.data() + kVaryingStackBelowSp + *offset, 8);
  std::memcpy(&counter, second.stack.data() + kVaryingStackBelowSp + *offset, 8);
  EXPECT_EQ(counter, before + 1);
  ASSERT_GE(counter, kStackTarget);
  ASSERT_LT(counter, kStackPasses);
  std::printf("counter at sp%+d, pass %llu\n", *offset, static_cast<unsigned long long>(counter));

  // The copy, still before the loop, runs to that pass through the probe.
  ProbePages pages;
  Expected<ProbeStub> probe = ProbeStub::Install(copy, pages, *syscall_insn, site, second.regs,
                                                 ProbeMemCheck{*offset, counter});
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  const auto run = std::chrono::steady_clock::now();
  ASSERT_TRUE(copy.Resume(ResumeMode::kCont).ok());
  ASSERT_TRUE(stopped(copy, SIGTRAP)) << "the copy never reached the target";
  const double ms = MsSince(run);
  arch::Registers regs = *copy.GetRegisters();
  Expected<bool> hit = probe->TakeHit(copy, regs);
  ASSERT_TRUE(hit.ok() && *hit);
  EXPECT_EQ(regs, second.regs);
  EXPECT_EQ(*copy.Read<uint64_t>(arch.Sp(regs) + *offset), counter);
  std::printf("pass %llu: native %.1f ms, through the probe %.1f ms (%.2f ns/pass)\n",
              static_cast<unsigned long long>(counter), native_ms, ms,
              ms * 1e6 / static_cast<double>(counter));
  // Not a timing test (bench/ measures speed): a trap per pass would take
  // minutes, which this bound still catches on a loaded machine.
  EXPECT_LT(ms, 60000);

  // On past the hit: the rest of the passes through the trampoline, without
  // another trap, and both processes end with the same count.
  arch.SetPc(regs, probe->bypass_pc());
  ASSERT_TRUE(copy.SetRegisters(regs).ok());
  const auto rest = std::chrono::steady_clock::now();
  for (Tracee* t : {&original, &copy}) ASSERT_TRUE(t->Resume(ResumeMode::kCont).ok());
  for (Tracee* t : {&original, &copy}) {
    Expected<WaitStatus> ws = t->Wait();
    ASSERT_TRUE(ws.ok());
    EXPECT_EQ(ws->kind, WaitStatus::Kind::kExited) << ws->ToString();
    EXPECT_EQ(ws->exit_code, 0);
  }
  std::printf("the rest of both runs: %.1f ms\n", MsSince(rest));
  for (int i = 0; i < 2; ++i) {
    uint64_t result = 0;
    ASSERT_EQ(read(result_pipe[0], &result, sizeof(result)), 8);
    EXPECT_EQ(result, kStackPasses);
  }
  close(result_pipe[0]);
  close(result_pipe[1]);
}

}  // namespace
}  // namespace rwd
