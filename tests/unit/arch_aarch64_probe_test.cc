// The AArch64 probe encoder on bytes: sites, relocation, and the trampoline
// run by a small interpreter of the instructions it emits, so that on any
// host a hit leaves every register as the target had it and a miss leaves
// every register as the thread had it (the qemu suite runs it for real).
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "arch/aarch64/aarch64_arch.h"
#include "arch/aarch64/aarch64_probe.h"

namespace rwd::arch {
namespace {

const ProbeEncoder& A64() { return *ProbeEncoderFor(AArch64Arch::Instance()); }

constexpr uint64_t kSite = 0x400100;
constexpr uint64_t kCode = 0x300000;
constexpr uint64_t kData = 0x310000;
constexpr uint64_t kSp = 0x7ffff000;
constexpr uint32_t kAddX1X1One = 0x91000421;  // add x1, x1, #1
constexpr uint64_t kNzcvBits = 0xf0000000;

std::vector<uint8_t> Code(std::initializer_list<uint32_t> words) {
  std::vector<uint8_t> out(4 * words.size());
  std::memcpy(out.data(), std::data(words), out.size());
  return out;
}

int64_t Sext(uint64_t v, int bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

// Where a run of the trampoline ended.
enum class End { kHit, kBypass, kStuck };

// Runs `code` at kCode from its start on `regs` (Registers layout: x0-x30,
// sp, pc, pstate) with the data slot at kData and `stack` at kSp, until the
// brk or the bypass entry. Knows only what the encoder emits.
End Interpret(const ProbeCode& code, Registers& regs, const std::map<uint64_t, uint64_t>& stack) {
  uint64_t pc = kCode;
  auto x = [&](uint32_t r) { return regs.Word(r); };
  auto set = [&](uint32_t r, uint64_t v) { regs.SetWord(r, v); };
  auto load = [&](uint64_t addr) -> uint64_t {
    if (addr >= kData && addr + 8 <= kData + code.data.size()) {
      uint64_t v;
      std::memcpy(&v, code.data.data() + (addr - kData), 8);
      return v;
    }
    auto it = stack.find(addr);
    return it == stack.end() ? 0xdeadbeef : it->second;
  };
  for (int steps = 0; steps < 1000; ++steps) {
    if (pc == code.bypass_pc) return End::kBypass;
    if (pc < kCode || pc + 4 > kCode + code.code.size()) return End::kStuck;
    uint32_t w;
    std::memcpy(&w, code.code.data() + (pc - kCode), 4);
    const uint32_t rd = w & 31, rn = (w >> 5) & 31, rm = (w >> 16) & 31;
    uint64_t next = pc + 4;
    if (w == 0xd4200000) {
      EXPECT_EQ(pc, code.trap_pc);
      return End::kHit;
    } else if ((w & 0xff800000) == 0x91000000 || (w & 0xff800000) == 0xd1000000) {
      uint64_t imm = ((w >> 10) & 0xfff) << ((w >> 22) & 1 ? 12 : 0);
      set(rd, (w & 0x40000000) ? x(rn) - imm : x(rn) + imm);
    } else if ((w & 0xffe00000) == 0x93c00000) {
      const uint32_t by = (w >> 10) & 63;
      EXPECT_EQ(rn, rm);
      set(rd, (x(rn) >> by) | (x(rn) << (64 - by)));
    } else if ((w & 0xff000000) == 0xb5000000) {
      if (x(rd) != 0) next = pc + 4 * Sext((w >> 5) & 0x7ffff, 19);
    } else if ((w & 0xff000000) == 0x58000000) {
      set(rd, load(pc + 4 * Sext((w >> 5) & 0x7ffff, 19)));
    } else if ((w & 0xffe0fc00) == 0x8b000000) {
      set(rd, x(rn) + x(rm));
    } else if (w == 0x8b2063e0) {
      set(0, regs.Word(31) + x(0));
    } else if (w == 0xd53b4200) {
      set(0, regs.Word(33) & kNzcvBits);
    } else if (w == 0xd35cfc00) {
      set(0, x(0) >> 28);
    } else if ((w & 0xffe00c00) == 0xf8400000 && rn == 31) {
      set(rd, load(regs.Word(31) + Sext((w >> 12) & 0x1ff, 9)));
    } else if ((w & 0xffc00000) == 0xf9400000 && rn == 31) {
      set(rd, load(regs.Word(31) + 8 * ((w >> 10) & 0xfff)));
    } else if ((w & 0xfc000000) == 0x14000000) {
      next = pc + 4 * Sext(w & 0x3ffffff, 26);
    } else {
      ADD_FAILURE() << "unexpected instruction " << std::hex << w << " at " << pc;
      return End::kStuck;
    }
    pc = next;
  }
  return End::kStuck;
}

Registers Target(uint64_t seed) {
  std::mt19937_64 rng(seed);
  Registers r;
  for (int i = 0; i <= 30; ++i) r.SetWord(i, rng());
  r.SetWord(31, kSp);
  r.SetWord(32, kSite);
  r.SetWord(33, 0x60000000);  // Z and C
  return r;
}

ProbeCode BuildAt(const Registers& target, std::optional<ProbeMemCheck> mem = std::nullopt) {
  ProbeSite site = A64().PlanSite(Code({kAddX1X1One}), kSite, kSite);
  EXPECT_EQ(site.refusal, "");
  ProbeCode code = A64().Build(site, target, kCode, kData, mem, false, {});
  EXPECT_EQ(code.refusal, "");
  return code;
}

TEST(AArch64ProbeEncoder, IsRegisteredAndCountsNothing) {
  ASSERT_NE(ProbeEncoderFor(AArch64Arch::Instance()), nullptr);
  EXPECT_EQ(A64().code_slot_size(), kAArch64ProbeEncoder.code_slot_size);
  EXPECT_FALSE(A64().counts_passes());
  ProbeSite site = A64().PlanSite(Code({kAddX1X1One}), kSite, kSite);
  EXPECT_NE(A64().Build(site, Target(1), kCode, kData, std::nullopt, true, {}).refusal, "");
  EXPECT_NE(A64().BuildCountdown(site, 3, kCode, kData).refusal, "");
}

TEST(AArch64ProbeEncoder, PatchIsOneBranchToTheTrampoline) {
  ProbeCode code = BuildAt(Target(1));
  ASSERT_EQ(code.patch.size(), 4u);
  uint32_t b;
  std::memcpy(&b, code.patch.data(), 4);
  EXPECT_EQ(b & 0xfc000000, 0x14000000u);
  EXPECT_EQ(kSite + 4 * Sext(b & 0x3ffffff, 26), kCode);
  EXPECT_LE(code.code.size(), A64().code_slot_size());
  EXPECT_LE(code.data.size(), A64().data_slot_size());
  // Out of b's reach: refused.
  ProbeSite site = A64().PlanSite(Code({kAddX1X1One}), kSite, kSite);
  EXPECT_NE(
      A64().Build(site, Target(1), kSite + (uint64_t{1} << 28), kData, std::nullopt, false, {})
          .refusal,
      "");
}

TEST(AArch64ProbeEncoder, HitRestoresEveryRegister) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    Registers target = Target(seed);
    ProbeCode code = BuildAt(target);
    Registers regs = target;
    ASSERT_EQ(Interpret(code, regs, {}), End::kHit) << "seed " << seed;
    EXPECT_EQ(regs, target) << "seed " << seed;
  }
}

TEST(AArch64ProbeEncoder, EveryMissLeavesTheThreadsRegisters) {
  std::mt19937_64 rng(7);
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Registers target = Target(seed);
    ProbeCode code = BuildAt(target);
    // Each compared word differing, by one, by a borrow across the
    // bijection's chunks, and at random; then the flags.
    for (uint32_t word : {0u, 1u, 5u, 8u, 18u, 29u, 30u, 31u}) {
      for (uint64_t delta : {uint64_t{1}, uint64_t{1} << 24, uint64_t{1} << 63, rng() | 1}) {
        Registers regs = target;
        regs.SetWord(word, target.Word(word) + delta);
        Registers before = regs;
        ASSERT_EQ(Interpret(code, regs, {}), End::kBypass) << "word " << word << " delta " << delta;
        EXPECT_EQ(regs, before) << "word " << word << " delta " << delta;
      }
    }
    Registers regs = target;
    regs.SetWord(33, target.Word(33) ^ 0x80000000);  // N
    Registers before = regs;
    ASSERT_EQ(Interpret(code, regs, {}), End::kBypass);
    EXPECT_EQ(regs, before);
  }
}

TEST(AArch64ProbeEncoder, X7AndPstateBeyondTheFlagsAreLeftToTheTracer) {
  Registers target = Target(3);
  ProbeCode code = BuildAt(target);
  Registers regs = target;
  regs.SetWord(7, 1);                                     // a syscall stop's x7
  regs.SetWord(33, target.Word(33) | (uint64_t{1} << 21));  // PSTATE.SS
  Registers before = regs;
  EXPECT_EQ(Interpret(code, regs, {}), End::kHit);
  EXPECT_EQ(regs, before);
}

TEST(AArch64ProbeEncoder, StackWordTellsPassesApart) {
  Registers target = Target(4);
  for (int32_t offset : {-16, 8, 0x1f8, 0x800}) {
    ProbeCode code = BuildAt(target, ProbeMemCheck{offset, 0x1234567890abcdefull});
    Registers regs = target;
    EXPECT_EQ(Interpret(code, regs, {{kSp + offset, 0x1234567890abcdefull}}), End::kHit) << offset;
    EXPECT_EQ(regs, target);
    regs = target;
    EXPECT_EQ(Interpret(code, regs, {{kSp + offset, 0x1234567890abcdeeull}}), End::kBypass) << offset;
    EXPECT_EQ(regs, target);
  }
  // An offset no single load reaches.
  ProbeSite site = A64().PlanSite(Code({kAddX1X1One}), kSite, kSite);
  EXPECT_NE(A64().Build(site, target, kCode, kData, ProbeMemCheck{0x801, 1}, false, {}).refusal, "");
}

TEST(AArch64ProbeEncoder, RefusesSitesItCannotPatchSafely) {
  struct Case {
    const char* what;
    std::vector<uint8_t> code;
    uint64_t pc;
  };
  const Case cases[] = {
      {"bl", Code({0x94000010}), kSite},
      {"blr x3", Code({0xd63f0060}), kSite},
      {"svc #0", Code({0xd4000001}), kSite},
      {"brk #0", Code({0xd4200000}), kSite},
      {"ldaxr x1, [x0]", Code({0xc85ffc01}), kSite},
      {"bti c", Code({0xd503245f}), kSite},
      {"paciasp", Code({0xd503233f}), kSite},
      {"ldr q0, literal", Code({0x9c000040}), kSite},
      {"between ldxr and stxr", Code({0xc85f7c01, kAddX1X1One}), kSite + 4},
      {"unaligned", Code({kAddX1X1One, kAddX1X1One}), kSite + 2},
  };
  for (const Case& c : cases) {
    EXPECT_NE(A64().PlanSite(c.code, kSite, c.pc).refusal, "") << c.what;
  }
  // After a completed ldxr/stxr pair a site is fine.
  EXPECT_EQ(A64().PlanSite(Code({0xc85f7c01, 0xc8027c01, kAddX1X1One}), kSite, kSite + 8).refusal,
            "");
}

TEST(AArch64ProbeEncoder, RelocatesPcRelativeInstructions) {
  const uint64_t from = 0x400000, to = 0x300000, lit = 0x310008;
  std::vector<uint32_t> out;
  std::optional<uint64_t> literal;
  // b.ne +0x40: b.ne +8 ; b +8 ; b from+0x40
  ASSERT_EQ(RelocateAArch64Insn(0x54000201, from, to, lit, out, literal), "");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], 0x54000041u);
  EXPECT_EQ(out[1], 0x14000002u);
  EXPECT_EQ(to + 8 + 4 * Sext(out[2] & 0x3ffffff, 26), from + 0x40);
  EXPECT_FALSE(literal);
  // adrp x2, +2 pages: ldr x2, =(page + 0x2000)
  out.clear();
  ASSERT_EQ(RelocateAArch64Insn(0xd0000002, from + 0x123, to, lit, out, literal), "");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0] & 0xff00001f, 0x58000002u);
  EXPECT_EQ(to + 4 * Sext((out[0] >> 5) & 0x7ffff, 19), lit);
  EXPECT_EQ(literal, from + 0x2000);
  // ldr w3, literal +0x10: ldr x3, =addr ; ldr w3, [x3]
  out.clear();
  ASSERT_EQ(RelocateAArch64Insn(0x18000083, from, to, lit, out, literal), "");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1], 0xb9400063u);
  EXPECT_EQ(literal, from + 0x10);
  // An ordinary instruction is copied; a branch out of reach refused.
  out.clear();
  ASSERT_EQ(RelocateAArch64Insn(kAddX1X1One, from, to, lit, out, literal), "");
  EXPECT_EQ(out, std::vector<uint32_t>{kAddX1X1One});
  out.clear();
  EXPECT_NE(RelocateAArch64Insn(0x14000010, from, from + (uint64_t{1} << 28), lit, out, literal),
            "");
}

}  // namespace
}  // namespace rwd::arch
