// kX86_64ProbeEncoder's Build and BuildCountdown: the trampoline described in
// x86_64_probe.h.
// Site planning and relocation live in x86_64_probe_site.cc.
#include "arch/x86_64/x86_64_probe.h"

#include <array>
#include <cstring>
#include <initializer_list>

#include "arch/x86_64/x86_64_arch.h"
#include "base/hex.h"

namespace rwd::arch {

namespace {

// x86 register numbers as ModRM/SIB/REX encode them.
enum Gpr : uint8_t { kRax = 0, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi, kR8 };

constexpr std::array<uint8_t, 16> kWordOfGpr = {
    kX86Rax, kX86Rcx, kX86Rdx, kX86Rbx, kX86Rsp, kX86Rbp, kX86Rsi, kX86Rdi,
    kX86R8,  kX86R9,  kX86R10, kX86R11, kX86R12, kX86R13, kX86R14, kX86R15};

// Compared with `lea rcx, [R + rcx]`, in this order: the first mismatch
// leaves, so registers a loop is likely to change go first (scratch ones,
// then callee-saved, rsp last). rax must come first: the flag and rcx
// checks that follow use it as scratch. rcx is compared last, separately.
// r11 is left to the tracer's comparison at the trap: a syscall leaves
// rflags in it, TF included after a single-step, so positions name it
// without TF (Arch::ClearStopArtifacts) and its exact value here may not be
// known; a pointer in r11 with bit 8 set made the probe miss its target.
constexpr std::array<uint8_t, 14> kCheckOrder = {kRax,    kRdx,    kRsi,    kRdi,    kR8,
                                                 kR8 + 1, kR8 + 2, kRbx,    kRbp,    kR8 + 4,
                                                 kR8 + 5, kR8 + 6, kR8 + 7, kRsp};
// With a memory check: rsp moves up to second, the word is compared right
// after it (see the header).
constexpr std::array<uint8_t, 14> kCheckOrderWithMem = {kRax,    kRsp,    kRdx,    kRsi, kRdi,
                                                        kR8,     kR8 + 1, kR8 + 2, kRbx, kRbp,
                                                        kR8 + 4, kR8 + 5, kR8 + 6, kR8 + 7};
constexpr size_t kMemCheckAfter = 2;  // checks of kCheckOrderWithMem before the word's

// Data slot layout (bytes).
constexpr uint64_t kSaveRcx = 0;                    // the thread's rcx while inside
constexpr uint64_t kTargetRax = 8;                  // reloads rax after using it as scratch
constexpr uint64_t kNegated = 16;                   // -target per check, in check order,
constexpr size_t kFlagsCheck = kCheckOrder.size();  // then the flags word
constexpr size_t kRcxCheck = kFlagsCheck + 1;       // and rcx
constexpr size_t kMemCheck = kRcxCheck + 1;         // and the stack word, if checked
constexpr size_t kNumChecks = kMemCheck + 1;
constexpr uint64_t kPasses = 248;  // the pass counter
static_assert(kNegated + 8 * kNumChecks <= kPasses, "data_slot_size() too small");
constexpr uint64_t kSaveXmm15 = 256;  // the thread's xmm15 while the vectors are compared
constexpr uint64_t kTargetXmm = 272;  // xmm0-15's targets, 16 bytes each
constexpr uint64_t kDataBytes = kTargetXmm + 16 * 16;
constexpr size_t kDataSlotSize = 528;
static_assert(kDataBytes <= kDataSlotSize);
constexpr size_t kCodeSlotSize = 1024;

constexpr uint64_t kOfBit = 11;
// lahf copies SF ZF AF PF CF (and the always-one bit 1) into ah.
constexpr uint64_t kLahfMask = 0xd7;

// rax as the flags check sees it after `lahf; seto al`.
uint64_t RaxWithFlags(uint64_t rax, uint64_t eflags) {
  return (rax & ~uint64_t{0xffff}) | ((eflags & kLahfMask) << 8) | ((eflags >> kOfBit) & 1);
}

// Appends instructions at a known address. Any rel32 out of reach makes the
// whole build fail (checked once, at the end).
class Emitter {
 public:
  explicit Emitter(uint64_t base) : base_(base) {}

  uint64_t pc() const { return base_ + bytes_.size(); }
  std::vector<uint8_t>& bytes() { return bytes_; }
  bool in_reach() const { return in_reach_; }

  void Emit(std::initializer_list<uint8_t> b) { bytes_.insert(bytes_.end(), b); }
  // A rel32 field that ends the instruction, aimed at `target`.
  void Rel32(uint64_t target) {
    const int64_t rel = static_cast<int64_t>(target - (pc() + 4));
    if (rel < INT32_MIN || rel > INT32_MAX) in_reach_ = false;
    const int32_t rel32 = static_cast<int32_t>(rel);
    uint8_t b[4];
    std::memcpy(b, &rel32, 4);
    bytes_.insert(bytes_.end(), b, b + 4);
  }
  void RipInsn(std::initializer_list<uint8_t> opcode, uint64_t addr) {
    Emit(opcode);
    Rel32(addr);
  }
  // Aims the rel32 field at byte offset `at` at `target` (a forward label).
  void PatchRel32(size_t at, uint64_t target) {
    const int32_t rel = static_cast<int32_t>(target - (base_ + at + 4));
    std::memcpy(bytes_.data() + at, &rel, 4);
  }

  void StoreRcx(uint64_t addr) { RipInsn({0x48, 0x89, 0x0d}, addr); }  // mov [rip+d], rcx
  void LoadRcx(uint64_t addr) { RipInsn({0x48, 0x8b, 0x0d}, addr); }   // mov rcx, [rip+d]
  void LoadRax(uint64_t addr) { RipInsn({0x48, 0x8b, 0x05}, addr); }   // mov rax, [rip+d]
  // lea rcx, [base + index]: rcx = 0 exactly when base == -index.
  void LeaRcx(uint8_t base, uint8_t index) {
    const uint8_t rex = 0x48 | (index >= 8 ? 0x02 : 0) | (base >= 8 ? 0x01 : 0);
    const uint8_t sib = static_cast<uint8_t>(((index & 7) << 3) | (base & 7));
    // Base rbp/r13 with mod=00 would mean "no base"; encode a zero disp8.
    if ((base & 7) == kRbp) {
      Emit({rex, 0x8d, 0x4c, sib, 0x00});
    } else {
      Emit({rex, 0x8d, 0x0c, sib});
    }
  }
  // mov rax, [rsp + disp32]
  void LoadRaxFromStack(int32_t disp) {
    Emit({0x48, 0x8b, 0x84, 0x24});
    uint8_t b[4];
    std::memcpy(b, &disp, 4);
    bytes_.insert(bytes_.end(), b, b + 4);
  }
  void LoadXmm15(uint64_t addr) { RipInsn({0xf3, 0x44, 0x0f, 0x6f, 0x3d}, addr); }   // movdqu
  void StoreXmm15(uint64_t addr) { RipInsn({0xf3, 0x44, 0x0f, 0x7f, 0x3d}, addr); }  // movdqu
  void LoadXmm0(uint64_t addr) { RipInsn({0xf3, 0x0f, 0x6f, 0x05}, addr); }          // movdqu
  // lea rcx, [rcx - 0xffff]: 0 exactly when pmovmskb saw 16 equal bytes.
  void RcxLessAllBytesEqual() { Emit({0x48, 0x8d, 0x89, 0x01, 0x00, 0xff, 0xff}); }
  // lea rcx, [rcx + delta]: leaves the flags alone, unlike add.
  void AddToRcx(int8_t delta) { Emit({0x48, 0x8d, 0x49, static_cast<uint8_t>(delta)}); }
  // [counter] += delta through rcx (whose value the caller saved).
  void AddToCounter(uint64_t counter, int8_t delta) {
    LoadRcx(counter);
    AddToRcx(delta);
    StoreRcx(counter);
  }
  // jrcxz over the following `jmp rel32`, whose field is returned for
  // patching once the miss label is known.
  size_t MissUnlessRcxZero() {
    Emit({0xe3, 0x05, 0xe9, 0, 0, 0, 0});
    return bytes_.size() - 4;
  }

 private:
  uint64_t base_;
  std::vector<uint8_t> bytes_;
  bool in_reach_ = true;
};

// The end every trampoline shares: the hit (trap) and miss paths, the
// relocated displaced instructions, the jump back, and the patch. `to_miss`
// are the checks' jumps to the miss path. False (out.refusal set) when the
// code cannot be built.
bool FinishTrampoline(Emitter& e, const std::vector<size_t>& to_miss, const ProbeSite& site,
                      uint64_t code_addr, uint64_t data_addr, size_t max_code, ProbeCode& out) {
  // Hit: every register is the thread's own again, except rip.
  e.LoadRcx(data_addr + kSaveRcx);
  e.Emit({0xcc});
  out.trap_pc = e.pc();
  e.Emit({0xe9, 0, 0, 0, 0});
  const size_t to_bypass = e.bytes().size() - 4;

  const uint64_t miss = e.pc();
  e.LoadRcx(data_addr + kSaveRcx);
  out.bypass_pc = e.pc();
  for (size_t at : to_miss) e.PatchRel32(at, miss);
  e.PatchRel32(to_bypass, out.bypass_pc);

  const std::string relocation =
      RelocateX86_64Code(site.original, site.pc, out.bypass_pc, e.bytes(), &out.relocated);
  if (!relocation.empty()) {
    out.refusal = relocation;
    return false;
  }
  e.Emit({0xe9});
  e.Rel32(site.pc + site.original.size());
  if (!e.in_reach() || e.bytes().size() > max_code) {
    out.refusal = "a trampoline at " + Hex(code_addr) + " cannot serve a probe at " + Hex(site.pc) +
                  " (out of rel32 reach or too long)";
    return false;
  }
  out.code = std::move(e.bytes());

  // The patch: jmp rel32 to the trampoline, the rest of the displaced bytes
  // int3 so a jump into them (which PlanSite tried to rule out) traps.
  Emitter patch(site.pc);
  patch.Emit({0xe9});
  patch.Rel32(code_addr);
  if (!patch.in_reach()) {
    out.refusal = "a trampoline at " + Hex(code_addr) + " is out of reach of " + Hex(site.pc);
    return false;
  }
  out.patch = std::move(patch.bytes());
  out.patch.resize(site.original.size(), 0xcc);
  return true;
}

// Compares xmm0-15 with their targets at data + kTargetXmm (see the header);
// rcx is scratch. Appends the jumps to the miss path to `to_miss`.
void CompareXmm(Emitter& e, uint64_t data_addr, std::vector<size_t>& to_miss) {
  std::vector<size_t> to_vector_miss;
  e.StoreXmm15(data_addr + kSaveXmm15);
  for (uint8_t i = 0; i < 15; ++i) {
    e.LoadXmm15(data_addr + kTargetXmm + 16 * i);
    // pcmpeqb xmm15, xmm<i>
    e.Emit({0x66, static_cast<uint8_t>(0x44 | (i >= 8 ? 1 : 0)), 0x0f, 0x74,
            static_cast<uint8_t>(0xf8 | (i & 7))});
    e.Emit({0x66, 0x41, 0x0f, 0xd7, 0xcf});  // pmovmskb ecx, xmm15
    e.RcxLessAllBytesEqual();
    to_vector_miss.push_back(e.MissUnlessRcxZero());
  }
  e.LoadXmm15(data_addr + kSaveXmm15);
  e.LoadXmm0(data_addr + kTargetXmm + 16 * 15);
  e.Emit({0x66, 0x41, 0x0f, 0x74, 0xc7});  // pcmpeqb xmm0, xmm15
  e.Emit({0x66, 0x0f, 0xd7, 0xc8});        // pmovmskb ecx, xmm0
  e.LoadXmm0(data_addr + kTargetXmm);      // xmm0 matched its target
  e.RcxLessAllBytesEqual();
  to_miss.push_back(e.MissUnlessRcxZero());
  // Every check passed: over the vector miss path to the hit.
  e.Emit({0xe9, 0, 0, 0, 0});
  const size_t to_hit = e.bytes().size() - 4;
  for (size_t at : to_vector_miss) e.PatchRel32(at, e.pc());
  e.LoadXmm15(data_addr + kSaveXmm15);
  e.Emit({0xe9, 0, 0, 0, 0});
  to_miss.push_back(e.bytes().size() - 4);
  e.PatchRel32(to_hit, e.pc());
}

ProbeCode Build(const ProbeSite& site, const Registers& target, uint64_t code_addr,
                uint64_t data_addr, std::optional<ProbeMemCheck> mem, bool count_passes,
                std::span<const uint8_t> vectors) {
  ProbeCode out;
  const auto negated = [&](size_t check) { return data_addr + kNegated + 8 * check; };
  Emitter e(code_addr);
  std::vector<size_t> to_miss;

  const std::array<uint8_t, 14>& order = mem ? kCheckOrderWithMem : kCheckOrder;
  e.StoreRcx(data_addr + kSaveRcx);
  if (count_passes) e.AddToCounter(data_addr + kPasses, 1);
  for (size_t i = 0; i < order.size(); ++i) {
    if (mem && i == kMemCheckAfter) {
      // rax and rsp match: rax is scratch, and [rsp + off] is the word the
      // target was taken with.
      e.LoadRaxFromStack(mem->sp_offset);
      e.LoadRcx(negated(kMemCheck));
      e.LeaRcx(kRax, kRcx);
      e.LoadRax(data_addr + kTargetRax);
      to_miss.push_back(e.MissUnlessRcxZero());
    }
    e.LoadRcx(negated(i));
    e.LeaRcx(order[i], kRcx);
    to_miss.push_back(e.MissUnlessRcxZero());
  }
  // rax == its target from here on, so it can be clobbered and reloaded.
  e.Emit({0x9f, 0x0f, 0x90, 0xc0});  // lahf; seto al
  e.LoadRcx(negated(kFlagsCheck));
  e.LeaRcx(kRax, kRcx);
  e.LoadRax(data_addr + kTargetRax);
  to_miss.push_back(e.MissUnlessRcxZero());
  e.LoadRax(negated(kRcxCheck));
  e.LoadRcx(data_addr + kSaveRcx);
  e.LeaRcx(kRcx, kRax);
  e.LoadRax(data_addr + kTargetRax);
  to_miss.push_back(e.MissUnlessRcxZero());
  const bool with_xmm = vectors.size() >= kX86VectorValuesXmm + 16 * 16;
  if (with_xmm) CompareXmm(e, data_addr, to_miss);

  if (!FinishTrampoline(e, to_miss, site, code_addr, data_addr, kCodeSlotSize, out)) return out;
  if (count_passes) out.pass_counter = data_addr + kPasses;

  std::array<uint64_t, kNumChecks> values{};
  for (size_t i = 0; i < order.size(); ++i) {
    values[i] = target.Word(kWordOfGpr[order[i]]);
  }
  values[kFlagsCheck] = RaxWithFlags(target.Word(kX86Rax), target.Word(kX86Eflags));
  values[kRcxCheck] = target.Word(kX86Rcx);
  const size_t checks = mem ? kNumChecks : kMemCheck;
  if (mem) values[kMemCheck] = mem->value;
  out.data.assign(with_xmm ? kDataBytes : count_passes ? kPasses + 8 : kNegated + 8 * checks, 0);
  if (with_xmm) {
    std::memcpy(out.data.data() + kTargetXmm, vectors.data() + kX86VectorValuesXmm, 16 * 16);
  }
  const uint64_t rax = target.Word(kX86Rax);
  std::memcpy(out.data.data() + kTargetRax, &rax, 8);
  for (size_t i = 0; i < checks; ++i) {
    const uint64_t neg = 0 - values[i];
    std::memcpy(out.data.data() + kNegated + 8 * i, &neg, 8);
  }
  return out;
}

ProbeCode BuildCountdown(const ProbeSite& site, uint64_t passes, uint64_t code_addr,
                         uint64_t data_addr) {
  ProbeCode out;
  Emitter e(code_addr);
  e.StoreRcx(data_addr + kSaveRcx);
  e.AddToCounter(data_addr + kPasses, -1);
  std::vector<size_t> to_miss{e.MissUnlessRcxZero()};
  if (!FinishTrampoline(e, to_miss, site, code_addr, data_addr, kCodeSlotSize, out)) return out;
  out.pass_counter = data_addr + kPasses;
  out.data.assign(kPasses + 8, 0);
  std::memcpy(out.data.data() + kPasses, &passes, 8);
  return out;
}

}  // namespace

const ProbeEncoderDescription kX86_64ProbeEncoder = {
    .code_slot_size = kCodeSlotSize,
    .data_slot_size = kDataSlotSize,
    .reach = (uint64_t{1} << 31) - (uint64_t{1} << 24),
    .patch_bytes = 5,  // jmp rel32
    .pass_count_refusal = "",
    .plan_site = PlanX86_64ProbeSite,
    .build = Build,
    .build_countdown = BuildCountdown,
};

}  // namespace rwd::arch
