#include "arch/aarch64/aarch64_arch.h"
#include "arch/capstone_text.h"

namespace rwd::arch {

namespace {

// Capstone's AArch64 groups mark neither bl nor ret; the instruction ids
// do. b, bl, b.cond, cbz/cbnz and tbz/tbnz name their target as the last
// immediate operand (tbz's first immediate is the bit number).
void Classify(const cs_insn& insn, DecodedInsn* out) {
  const bool unconditional_b = insn.id == ARM64_INS_B && insn.detail->arm64.cc == ARM64_CC_INVALID;
  out->falls_through = !unconditional_b && insn.id != ARM64_INS_BR && insn.id != ARM64_INS_RET;
  switch (insn.id) {
    case ARM64_INS_BL:
    case ARM64_INS_BLR:
      out->is_call = true;
      break;
    case ARM64_INS_RET:
      out->is_return = true;
      return;
    case ARM64_INS_B:
    case ARM64_INS_CBZ:
    case ARM64_INS_CBNZ:
    case ARM64_INS_TBZ:
    case ARM64_INS_TBNZ:
      break;
    default:
      return;
  }
  const cs_arm64& arm64 = insn.detail->arm64;
  for (uint8_t i = 0; i < arm64.op_count; ++i) {
    if (arm64.operands[i].type == ARM64_OP_IMM) out->branch_target = arm64.operands[i].imm;
  }
}

}  // namespace

const CapstoneDecoding kAArch64Capstone = {CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, Classify};

}  // namespace rwd::arch
