// PlanX86_64ProbeSite and RelocateX86_64Code: what a probe may
// displace, and how displaced instructions run from the trampoline. Capstone
// supplies lengths, operands and branch targets; the decisions are ours.
#include <capstone/capstone.h>

#include <array>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "arch/x86_64/x86_64_probe.h"
#include "base/check.h"
#include "base/hex.h"

namespace rwd::arch {

namespace {

constexpr size_t kPatchBytes = 5;  // jmp rel32
constexpr size_t kJmpRel32Bytes = 5;
constexpr size_t kJccRel32Bytes = 6;

// How a displaced instruction affects control flow.
enum class Flow : uint8_t {
  kPlain,     // falls through
  kJump,      // jmp rel8/rel32
  kCond,      // jcc rel8/rel32
  kIndirect,  // jmp reg/mem: copied (RIP-relative operand re-aimed)
};

struct Insn {
  size_t length = 0;
  Flow flow = Flow::kPlain;
  bool relative = false;  // a branch (of any kind) to `target`
  uint64_t target = 0;
  uint8_t cc = 0;           // kCond: condition code (the low nibble of 0x70+cc)
  uint8_t disp_offset = 0;  // RIP-relative: where its disp32 sits, else 0
  int64_t disp = 0;
  std::string refusal;  // this instruction cannot be displaced at all
};

// What an instruction decodes to depends on its address and at most 15
// bytes (the longest instruction); the key holds 16.
struct DecodedKey {
  uint64_t addr;
  std::array<uint8_t, 16> bytes;
  bool operator==(const DecodedKey&) const = default;
};

struct DecodedKeyHash {
  size_t operator()(const DecodedKey& k) const {
    uint64_t lo;
    uint64_t hi;
    std::memcpy(&lo, k.bytes.data(), 8);
    std::memcpy(&hi, k.bytes.data() + 8, 8);
    uint64_t h = (k.addr ^ lo) * 0x9e3779b97f4a7c15ull;
    h = (h ^ (h >> 29) ^ hi) * 0xbf58476d1ce4e5b9ull;
    return static_cast<size_t>(h ^ (h >> 32));
  }
};

// A Capstone handle with operand details; one per call, so thread-safe.
//
// Decoding with details costs about a microsecond an instruction, and the
// recorder's walk to a probe site plans up to hundreds of neighbouring sites
// in a row, each sweeping the 8 KiB around it for branches: each thread
// remembers what it decoded, by address and bytes, so a walk decodes each
// instruction once.
class Decoder {
 public:
  Decoder() {
    CHECK(cs_open(CS_ARCH_X86, CS_MODE_64, &handle_) == CS_ERR_OK &&
              cs_option(handle_, CS_OPT_DETAIL, CS_OPT_ON) == CS_ERR_OK,
          "x86_64 probe: Capstone cs_open");
    raw_ = cs_malloc(handle_);
  }
  ~Decoder() {
    cs_free(raw_, 1);
    cs_close(&handle_);
  }
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // The instruction at the start of `code` (mapped at `addr`), if it decodes.
  std::optional<Insn> At(std::span<const uint8_t> code, uint64_t addr) {
    DecodedKey key{addr, {}};
    if (code.size() < key.bytes.size()) return Decode(code, addr);
    std::memcpy(key.bytes.data(), code.data(), key.bytes.size());
    auto& memo = Memo();
    if (auto it = memo.find(key); it != memo.end()) return it->second;
    if (memo.size() >= kMemoEntries) memo.clear();
    return memo.emplace(key, Decode(code, addr)).first->second;
  }

 private:
  // Enough for the windows of a few walks (~2 instructions per 8 bytes).
  static constexpr size_t kMemoEntries = 1 << 16;

  static std::unordered_map<DecodedKey, std::optional<Insn>, DecodedKeyHash>& Memo() {
    thread_local std::unordered_map<DecodedKey, std::optional<Insn>, DecodedKeyHash> memo;
    return memo;
  }

  std::optional<Insn> Decode(std::span<const uint8_t> code, uint64_t addr) {
    const uint8_t* bytes = code.data();
    size_t left = code.size();
    uint64_t address = addr;
    if (left == 0 || !cs_disasm_iter(handle_, &bytes, &left, &address, raw_)) {
      return std::nullopt;
    }
    return Classify();
  }

  bool InGroup(uint8_t group) const { return cs_insn_group(handle_, raw_, group); }

  Insn Classify() const {
    const cs_x86& x86 = raw_->detail->x86;
    Insn insn;
    insn.length = raw_->size;
    // For refusals only: formatting it for every instruction swept costs more
    // than the decode.
    const auto name = [&] {
      return std::string(raw_->mnemonic) + " at " + Hex(raw_->address);
    };
    // Recorded even for instructions refused below: calls, loops and
    // xbegin name branch targets too.
    const bool branch = InGroup(X86_GRP_BRANCH_RELATIVE) || InGroup(X86_GRP_JUMP) ||
                        InGroup(X86_GRP_CALL) || raw_->id == X86_INS_XBEGIN;
    if (branch && x86.op_count == 1 && x86.operands[0].type == X86_OP_IMM) {
      insn.relative = true;
      insn.target = static_cast<uint64_t>(x86.operands[0].imm);
    }
    switch (raw_->id) {
      // Moving these would change what they do (call pushes its own address,
      // endbr marks a target, the rest leave the instruction stream) or
      // they only have rel8 forms that cannot reach back from a trampoline.
      case X86_INS_SYSCALL:
      case X86_INS_SYSENTER:
      case X86_INS_UD2:
      case X86_INS_HLT:
      case X86_INS_ENDBR64:
      case X86_INS_ENDBR32:
      case X86_INS_XBEGIN:
      case X86_INS_XABORT:
      case X86_INS_LOOP:
      case X86_INS_LOOPE:
      case X86_INS_LOOPNE:
      case X86_INS_JRCXZ:
      case X86_INS_JECXZ:
      case X86_INS_JCXZ:
        insn.refusal = name() + " cannot be displaced";
        return insn;
      default:
        break;
    }
    if (InGroup(X86_GRP_CALL) || InGroup(X86_GRP_RET) || InGroup(X86_GRP_INT) ||
        InGroup(X86_GRP_IRET)) {
      insn.refusal = name() + " cannot be displaced";
      return insn;
    }
    for (uint8_t i = 0; i < x86.op_count; ++i) {
      const cs_x86_op& op = x86.operands[i];
      if (op.type == X86_OP_MEM && op.mem.base == X86_REG_RIP) {
        if (x86.encoding.disp_offset == 0 || x86.encoding.disp_size != 4) {
          insn.refusal = name() + ": RIP-relative operand without a disp32";
          return insn;
        }
        insn.disp_offset = x86.encoding.disp_offset;
        insn.disp = x86.disp;
      }
    }
    if (!InGroup(X86_GRP_JUMP)) return insn;
    if (!insn.relative) {
      insn.flow = Flow::kIndirect;
      return insn;
    }
    // A 16-bit operand size truncates the target on AMD; never seen in
    // compiled code, so not worth emulating.
    if (x86.prefix[2] != 0) {
      insn.refusal = name() + " has an operand-size prefix";
      return insn;
    }
    if (raw_->id == X86_INS_JMP) {
      insn.flow = Flow::kJump;
    } else if (x86.opcode[0] >= 0x70 && x86.opcode[0] <= 0x7f) {
      insn.flow = Flow::kCond;
      insn.cc = x86.opcode[0] - 0x70;
    } else if (x86.opcode[0] == 0x0f && x86.opcode[1] >= 0x80 && x86.opcode[1] <= 0x8f) {
      insn.flow = Flow::kCond;
      insn.cc = x86.opcode[1] - 0x80;
    } else {
      insn.refusal = name() + " is a jump of an unknown form";
    }
    return insn;
  }

  csh handle_ = 0;
  cs_insn* raw_ = nullptr;
};

std::optional<int32_t> Rel32(uint64_t target, uint64_t next_insn) {
  const int64_t rel = static_cast<int64_t>(target - next_insn);
  if (rel < INT32_MIN || rel > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(rel);
}

void AppendLe32(std::vector<uint8_t>& out, int32_t v) {
  uint8_t bytes[4];
  std::memcpy(bytes, &v, 4);
  out.insert(out.end(), bytes, bytes + 4);
}

// A relative branch or call in `code` (a linear sweep from its first byte)
// that lands in (pc, end): the displaced bytes other than the site itself.
std::optional<uint64_t> BranchInto(Decoder& decoder, std::span<const uint8_t> code,
                                   uint64_t code_addr, uint64_t pc, uint64_t end) {
  for (size_t off = 0; off < code.size();) {
    std::optional<Insn> insn = decoder.At(code.subspan(off), code_addr + off);
    if (!insn) {
      ++off;
      continue;
    }
    if (insn->relative && insn->target > pc && insn->target < end) return code_addr + off;
    off += insn->length;
  }
  return std::nullopt;
}

}  // namespace

ProbeSite PlanX86_64ProbeSite(std::span<const uint8_t> code, uint64_t code_addr, uint64_t pc) {
  ProbeSite site;
  site.pc = pc;
  if (pc < code_addr || pc >= code_addr + code.size()) {
    site.refusal = "probe site " + Hex(pc) + " is outside the code given";
    return site;
  }
  Decoder decoder;
  size_t len = 0;
  for (int index = 0; len < kPatchBytes; ++index) {
    const uint64_t addr = pc + len;
    std::optional<Insn> insn = decoder.At(code.subspan(pc - code_addr + len), addr);
    if (!insn) {
      site.refusal = "undecodable instruction at " + Hex(addr);
      return site;
    }
    if (!insn->refusal.empty()) {
      site.refusal = insn->refusal;
      return site;
    }
    len += insn->length;
    if (insn->flow == Flow::kPlain) continue;
    // Only the site itself may branch: a displaced jump further on would
    // have to come back into the trampoline's copy of what follows it.
    if (index > 0) {
      site.refusal =
          "jump at " + Hex(addr) + " would be displaced by a probe at " + Hex(pc);
      return site;
    }
    if (insn->flow != Flow::kCond && len < kPatchBytes) {
      site.refusal = "jump at " + Hex(pc) + " is too short to patch, and what follows it " +
                     "is likely a branch target";
      return site;
    }
  }
  if (std::optional<uint64_t> from = BranchInto(decoder, code, code_addr, pc, pc + len)) {
    site.refusal = "the branch at " + Hex(*from) + " lands inside the bytes a probe at " +
                   Hex(pc) + " would displace";
    return site;
  }
  site.original.assign(code.begin() + (pc - code_addr), code.begin() + (pc - code_addr + len));
  return site;
}

std::string RelocateX86_64Code(std::span<const uint8_t> code, uint64_t from, uint64_t to,
                               std::vector<uint8_t>& out,
                               std::vector<ProbeCode::Relocated>* starts) {
  Decoder decoder;
  const uint64_t out_base = to - out.size();
  for (size_t off = 0; off < code.size();) {
    std::optional<Insn> insn = decoder.At(code.subspan(off), from + off);
    if (!insn) return "undecodable instruction at " + Hex(from + off);
    if (!insn->refusal.empty()) return insn->refusal;
    const uint64_t at = out_base + out.size();
    if (starts) starts->push_back({from + off, at});
    const auto unreachable = [&] {
      return "the instruction at " + Hex(from + off) + " cannot reach its target from " +
             Hex(at);
    };
    if (insn->flow == Flow::kJump || insn->flow == Flow::kCond) {
      const size_t size = insn->flow == Flow::kJump ? kJmpRel32Bytes : kJccRel32Bytes;
      std::optional<int32_t> rel = Rel32(insn->target, at + size);
      if (!rel) return unreachable();
      if (insn->flow == Flow::kJump) {
        out.push_back(0xe9);
      } else {
        out.insert(out.end(), {0x0f, static_cast<uint8_t>(0x80 + insn->cc)});
      }
      AppendLe32(out, *rel);
    } else {
      const size_t start = out.size();
      out.insert(out.end(), code.begin() + off, code.begin() + off + insn->length);
      if (insn->disp_offset != 0) {
        const uint64_t operand = from + off + insn->length + insn->disp;
        std::optional<int32_t> rel = Rel32(operand, at + insn->length);
        if (!rel) return unreachable();
        std::memcpy(out.data() + start + insn->disp_offset, &*rel, 4);
      }
    }
    off += insn->length;
  }
  return {};
}

}  // namespace rwd::arch
