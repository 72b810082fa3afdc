// kAArch64ProbeEncoder: the trampoline described in aarch64_probe.h, the
// choice of sites and the relocation of the displaced instruction.
#include "arch/aarch64/aarch64_probe.h"

#include <array>
#include <cstring>

#include "arch/aarch64/aarch64_arch.h"
#include "base/hex.h"

namespace rwd::arch {

namespace {

constexpr uint32_t kX0 = 0;
constexpr uint32_t kSpIndex = 31;  // sp as a base or source register, and its Registers word

// Data slot layout (bytes).
constexpr uint64_t kTargetX0 = 0;      // reloads x0 after using it as scratch
constexpr uint64_t kRelocLiteral = 8;  // the address the displaced instruction computes
constexpr uint64_t kNegated = 16;      // -target per check, in check order

// How many instructions back PlanSite looks for an unfinished ldxr.
constexpr uint64_t kExclusiveLookBack = 32;

constexpr size_t kCodeSlotSize = 768;
constexpr size_t kDataSlotSize = 512;

constexpr uint32_t kBrk0 = 0xd4200000;
constexpr uint32_t kMrsX0Nzcv = 0xd53b4200;
constexpr uint32_t kLsrX0X0By28 = 0xd35cfc00;  // ubfm x0, x0, #28, #63
constexpr uint32_t kAddX0SpX0 = 0x8b2063e0;    // add x0, sp, x0, uxtx
constexpr uint64_t kNzcvShift = 28;

int64_t SignExtend(uint64_t value, int bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((value ^ sign) - sign);
}

uint32_t AddImm(uint32_t r, uint32_t imm12, bool shifted) {
  return 0x91000000 | (shifted ? 1u << 22 : 0) | (imm12 << 10) | (r << 5) | r;
}
uint32_t SubImm(uint32_t r, uint32_t imm12, bool shifted) {
  return 0xd1000000 | (shifted ? 1u << 22 : 0) | (imm12 << 10) | (r << 5) | r;
}
uint32_t Ror(uint32_t r, uint32_t by) {  // extr r, r, r, #by
  return 0x93c00000 | (r << 16) | (by << 10) | (r << 5) | r;
}
uint32_t AddX0(uint32_t r) { return 0x8b000000 | (r << 16); }  // add x0, x0, r

// Appends instructions at a known address. Any branch or literal out of
// reach makes the whole build fail (checked once, at the end).
class Emitter {
 public:
  explicit Emitter(uint64_t base) : base_(base) {}

  uint64_t pc() const { return base_ + 4 * words_.size(); }
  std::vector<uint32_t>& words() { return words_; }
  bool in_reach() const { return in_reach_; }

  size_t Emit(uint32_t word) {
    words_.push_back(word);
    return words_.size() - 1;
  }
  void LdrLiteral(uint32_t rt, uint64_t addr) { Emit(0x58000000 | Imm19(addr, pc()) | rt); }
  // cbnz rt, <patched later>; returns the word's index.
  size_t Cbnz(uint32_t rt) { return Emit(0xb5000000 | rt); }
  size_t B() { return Emit(0x14000000); }
  void B(uint64_t target) { Emit(0x14000000 | Imm26(target, pc())); }
  void AimImm19(size_t index, uint64_t target) {
    words_[index] |= Imm19(target, base_ + 4 * index);
  }
  void AimImm26(size_t index, uint64_t target) {
    words_[index] |= Imm26(target, base_ + 4 * index);
  }

 private:
  uint32_t Imm19(uint64_t target, uint64_t at) {
    const int64_t d = static_cast<int64_t>(target - at);
    if (d % 4 != 0 || d < -(int64_t{1} << 20) || d >= (int64_t{1} << 20)) in_reach_ = false;
    return static_cast<uint32_t>((d >> 2) & 0x7ffff) << 5;
  }
  uint32_t Imm26(uint64_t target, uint64_t at) {
    const int64_t d = static_cast<int64_t>(target - at);
    if (d % 4 != 0 || d < -(int64_t{1} << 27) || d >= (int64_t{1} << 27)) in_reach_ = false;
    return static_cast<uint32_t>((d >> 2) & 0x3ffffff);
  }

  uint64_t base_;
  std::vector<uint32_t> words_;
  bool in_reach_ = true;
};

// The chunks the bijection of `target` subtracts: a 24-bit chunk, rotate
// right by 24, twice more. Afterwards the register is 0 exactly when it
// held `target`.
std::array<uint32_t, 3> Chunks(uint64_t target) {
  std::array<uint32_t, 3> chunks{};
  uint64_t v = target;
  for (size_t i = 0; i < chunks.size(); ++i) {
    chunks[i] = static_cast<uint32_t>(v & 0xffffff);
    v -= chunks[i];
    v = (v >> 24) | (v << 40);
  }
  return chunks;
}

void ToZero(Emitter& e, uint32_t r, uint64_t target) {
  const std::array<uint32_t, 3> chunks = Chunks(target);
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (chunks[i] & 0xfff) e.Emit(SubImm(r, chunks[i] & 0xfff, false));
    if (chunks[i] >> 12) e.Emit(SubImm(r, chunks[i] >> 12, true));
    if (i + 1 < chunks.size()) e.Emit(Ror(r, 24));
  }
}

void FromZero(Emitter& e, uint32_t r, uint64_t target) {
  const std::array<uint32_t, 3> chunks = Chunks(target);
  for (size_t i = chunks.size(); i-- > 0;) {
    if (chunks[i] & 0xfff) e.Emit(AddImm(r, chunks[i] & 0xfff, false));
    if (chunks[i] >> 12) e.Emit(AddImm(r, chunks[i] >> 12, true));
    if (i > 0) e.Emit(Ror(r, 40));
  }
}

// ldr x0, [sp, #off]; false when no single load reaches it.
bool LoadX0FromStack(Emitter& e, int32_t off) {
  if (off >= -256 && off < 256) {
    e.Emit(0xf8400000 | ((static_cast<uint32_t>(off) & 0x1ff) << 12) | (kSpIndex << 5));  // ldur
  } else if (off >= 0 && off % 8 == 0 && off / 8 < 4096) {
    e.Emit(0xf9400000 | (static_cast<uint32_t>(off / 8) << 10) | (kSpIndex << 5));
  } else {
    return false;
  }
  return true;
}

// Why the instruction at a site cannot be displaced, or "".
std::string RefusalFor(uint32_t insn) {
  if ((insn & 0xfc000000) == 0x94000000) return "a call (bl)";
  if ((insn & 0xfe000000) == 0xd6000000) {
    const uint32_t opc = (insn >> 21) & 0xf;
    if ((opc & 0x7) == 1) return "a call (blr)";
    if ((opc & 0x7) >= 4) return "an exception return";
  }
  if ((insn & 0xff000000) == 0xd4000000) return "an exception-generating instruction (svc, brk)";
  if ((insn & 0x3f000000) == 0x08000000) return "an exclusive or ordered load or store";
  if ((insn & 0xfffff01f) == 0xd503201f) {
    const uint32_t hint = (insn >> 5) & 0x7f;
    if ((hint & 0x79) == 0x20 || hint == 0x19 || hint == 0x1b) {
      return "a branch target landing pad (bti, paciasp, pacibsp)";
    }
  }
  if ((insn & 0x3b000000) == 0x18000000 && (insn & (1u << 26))) {
    return "a literal load into an FP/SIMD register";
  }
  const bool adr = (insn & 0x1f000000) == 0x10000000;
  const bool literal = (insn & 0x3b000000) == 0x18000000 && (insn >> 30) != 3;
  if ((adr || literal) && (insn & 31) == 31) return "a pc-relative load into xzr";
  return "";
}

uint32_t Word(std::span<const uint8_t> code, uint64_t at) {
  uint32_t w;
  std::memcpy(&w, code.data() + at, 4);
  return w;
}

}  // namespace

std::string RelocateAArch64Insn(uint32_t insn, uint64_t from, uint64_t to, uint64_t literal_addr,
                                std::vector<uint32_t>& out, std::optional<uint64_t>& literal) {
  literal.reset();
  if (std::string refusal = RefusalFor(insn); !refusal.empty()) return refusal;
  Emitter e(to);
  const uint32_t rt = insn & 31;
  // A conditional branch to `target`: taken, it skips to a `b target`.
  auto conditional = [&](uint32_t field_mask, uint64_t target) {
    e.Emit((insn & ~field_mask) | (2u << 5));  // +8
    e.Emit(0x14000002);                        // b +8
    e.B(target);
  };
  if ((insn & 0xfc000000) == 0x14000000) {
    e.B(from + 4 * SignExtend(insn & 0x3ffffff, 26));
  } else if ((insn & 0xff000010) == 0x54000000 || (insn & 0x7e000000) == 0x34000000) {
    conditional(0x7ffffu << 5, from + 4 * SignExtend((insn >> 5) & 0x7ffff, 19));
  } else if ((insn & 0x7e000000) == 0x36000000) {
    conditional(0x3fffu << 5, from + 4 * SignExtend((insn >> 5) & 0x3fff, 14));
  } else if ((insn & 0x1f000000) == 0x10000000) {
    const int64_t imm = SignExtend(((insn >> 5) & 0x7ffff) << 2 | ((insn >> 29) & 3), 21);
    literal = (insn & 0x80000000) ? (from & ~uint64_t{0xfff}) + (imm << 12) : from + imm;
    e.LdrLiteral(rt, literal_addr);
  } else if ((insn & 0x3b000000) == 0x18000000) {
    const uint32_t opc = insn >> 30;
    if (opc != 3) {  // prfm, a hint, is dropped
      literal = from + 4 * SignExtend((insn >> 5) & 0x7ffff, 19);
      e.LdrLiteral(rt, literal_addr);
      static constexpr uint32_t kLoadFromRt[] = {0xb9400000, 0xf9400000, 0xb9800000};
      e.Emit(kLoadFromRt[opc] | (rt << 5) | rt);  // ldr wt / ldr xt / ldrsw xt, [xt]
    }
  } else {
    e.Emit(insn);
  }
  if (!e.in_reach()) return "the displaced instruction's target is out of reach of " + Hex(to);
  out.insert(out.end(), e.words().begin(), e.words().end());
  return "";
}

namespace {

ProbeSite PlanSite(std::span<const uint8_t> code, uint64_t code_addr, uint64_t pc) {
  ProbeSite site;
  site.pc = pc;
  if (pc % 4 != 0 || pc < code_addr || pc - code_addr + 4 > code.size()) {
    site.refusal = "no whole instruction at " + Hex(pc);
    return site;
  }
  const uint64_t at = pc - code_addr;
  if (std::string refusal = RefusalFor(Word(code, at)); !refusal.empty()) {
    site.refusal = Hex(pc) + " holds " + refusal;
    return site;
  }
  // Inside an ldxr/stxr sequence the trampoline's loads and branches may
  // clear the exclusive monitor, and the store would fail forever.
  for (uint64_t back = 4; back <= 4 * kExclusiveLookBack && back <= at; back += 4) {
    const uint32_t w = Word(code, at - back);
    if ((w & 0x3fc00000) == 0x08000000) break;  // stxr: a sequence ended
    if ((w & 0x3fc00000) == 0x08400000) {
      site.refusal = Hex(pc) + " lies between a load-exclusive and its store";
      return site;
    }
  }
  site.original.assign(code.begin() + static_cast<ptrdiff_t>(at),
                       code.begin() + static_cast<ptrdiff_t>(at) + 4);
  return site;
}

std::vector<uint8_t> Bytes(const std::vector<uint32_t>& words) {
  std::vector<uint8_t> bytes(4 * words.size());
  std::memcpy(bytes.data(), words.data(), bytes.size());
  return bytes;
}

void PutWord(std::vector<uint8_t>& data, uint64_t at, uint64_t value) {
  if (data.size() < at + 8) data.resize(at + 8, 0);
  std::memcpy(data.data() + at, &value, 8);
}

// Never asked to count passes (kAArch64ProbeEncoder.pass_count_refusal).
ProbeCode Build(const ProbeSite& site, const Registers& target, uint64_t code_addr,
                uint64_t data_addr, std::optional<ProbeMemCheck> mem, bool count_passes,
                std::span<const uint8_t> vectors) {
  (void)count_passes;
  (void)vectors;  // compared by the tracer at the trap
  ProbeCode out;
  // x1-x30 but x7, then sp; with a memory check sp first, then the word.
  std::vector<uint32_t> order;
  if (mem) order.push_back(kSpIndex);
  for (uint32_t r = 1; r <= 30; ++r) {
    if (r != kA64X7) order.push_back(r);
  }
  if (!mem) order.push_back(kSpIndex);

  Emitter e(code_addr);
  std::vector<size_t> to_miss;
  const uint64_t x0 = target.Word(kA64X0);
  ToZero(e, kX0, x0);
  const size_t to_undo = e.Cbnz(kX0);
  std::vector<uint8_t> data;
  PutWord(data, kTargetX0, x0);
  for (size_t i = 0; i < order.size(); ++i) {
    const uint32_t r = order[i];
    PutWord(data, kNegated + 8 * i, 0 - target.Word(r));
    e.LdrLiteral(kX0, data_addr + kNegated + 8 * i);
    e.Emit(r == kSpIndex ? kAddX0SpX0 : AddX0(r));
    to_miss.push_back(e.Cbnz(kX0));
    if (r == kSpIndex && mem) {
      if (!LoadX0FromStack(e, mem->sp_offset)) {
        out.refusal = "no single load reaches sp" + std::to_string(mem->sp_offset);
        return out;
      }
      ToZero(e, kX0, mem->value);
      to_miss.push_back(e.Cbnz(kX0));
    }
  }
  e.Emit(kMrsX0Nzcv);
  e.Emit(kLsrX0X0By28);
  const uint32_t nzcv = static_cast<uint32_t>(target.Word(kA64Pstate) >> kNzcvShift) & 0xf;
  if (nzcv != 0) e.Emit(SubImm(kX0, nzcv, false));
  to_miss.push_back(e.Cbnz(kX0));

  // Hit: every register is the thread's own again; brk reports its own pc.
  e.LdrLiteral(kX0, data_addr + kTargetX0);
  out.trap_pc = e.pc();
  e.Emit(kBrk0);
  const size_t to_bypass = e.B();
  const uint64_t miss = e.pc();
  e.LdrLiteral(kX0, data_addr + kTargetX0);
  out.bypass_pc = e.pc();
  for (size_t at : to_miss) e.AimImm19(at, miss);
  e.AimImm26(to_bypass, out.bypass_pc);

  uint32_t insn;
  std::memcpy(&insn, site.original.data(), 4);
  std::optional<uint64_t> literal;
  const std::string relocation = RelocateAArch64Insn(insn, site.pc, out.bypass_pc,
                                                     data_addr + kRelocLiteral, e.words(), literal);
  if (!relocation.empty()) {
    out.refusal = relocation;
    return out;
  }
  if (literal) PutWord(data, kRelocLiteral, *literal);
  e.B(site.pc + 4);
  // Undo: x0 did not match; the inverse bijection gives it back.
  e.AimImm19(to_undo, e.pc());
  FromZero(e, kX0, x0);
  e.B(out.bypass_pc);

  if (!e.in_reach() || 4 * e.words().size() > kCodeSlotSize || data.size() > kDataSlotSize) {
    out.refusal = "a trampoline at " + Hex(code_addr) + " cannot serve a probe at " + Hex(site.pc) +
                  " (out of reach or too long)";
    return out;
  }
  Emitter patch(site.pc);
  patch.B(code_addr);
  if (!patch.in_reach()) {
    out.refusal = "a trampoline at " + Hex(code_addr) + " is out of reach of " + Hex(site.pc);
    return out;
  }
  out.code = Bytes(e.words());
  out.patch = Bytes(patch.words());
  out.data = std::move(data);
  return out;
}

}  // namespace

const ProbeEncoderDescription kAArch64ProbeEncoder = {
    .code_slot_size = kCodeSlotSize,
    .data_slot_size = kDataSlotSize,
    // b's ±128 MiB less a margin for the distance between a page pair's slots.
    .reach = (uint64_t{1} << 27) - (uint64_t{1} << 21),
    .patch_bytes = 4,  // b
    .pass_count_refusal =
        "AArch64 probes cannot count passes (a count needs a store before any register is free)",
    .plan_site = PlanSite,
    .build = Build,
    .build_countdown = nullptr,  // pass_count_refusal: never asked
};

}  // namespace rwd::arch
