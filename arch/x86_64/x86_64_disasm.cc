#include "arch/capstone_text.h"
#include "arch/x86_64/x86_64_arch.h"

namespace rwd::arch {

namespace {

// A direct jump's or call's target is its one immediate operand; indirect
// ones have none.
void Classify(const cs_insn& insn, DecodedInsn* out) {
  bool jump = false;
  for (uint8_t i = 0; i < insn.detail->groups_count; ++i) {
    jump |= insn.detail->groups[i] == CS_GRP_JUMP;
  }
  out->falls_through = !out->is_return && insn.id != X86_INS_JMP && insn.id != X86_INS_LJMP;
  if (!jump && !out->is_call) return;
  const cs_x86& x86 = insn.detail->x86;
  for (uint8_t i = 0; i < x86.op_count; ++i) {
    if (x86.operands[i].type == X86_OP_IMM) out->branch_target = x86.operands[i].imm;
  }
}

}  // namespace

const CapstoneDecoding kX86_64Capstone = {CS_ARCH_X86, CS_MODE_64, Classify};

}  // namespace rwd::arch
