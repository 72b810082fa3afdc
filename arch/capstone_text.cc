#include "arch/capstone_text.h"

namespace rwd::arch {

std::string CapstoneInsnText(const CapstoneDecoding& decoding, std::span<const uint8_t> code,
                             uint64_t addr) {
  csh handle = 0;
  if (cs_open(decoding.arch, decoding.mode, &handle) != CS_ERR_OK) return "(capstone cannot open this architecture)";
  cs_insn* insn = nullptr;
  size_t n = cs_disasm(handle, code.data(), code.size(), addr, 1, &insn);
  std::string text = "(bad)";
  if (n > 0) {
    text = insn[0].mnemonic;
    if (insn[0].op_str[0] != '\0') text += std::string(" ") + insn[0].op_str;
    cs_free(insn, n);
  }
  cs_close(&handle);
  return text;
}

std::vector<DecodedInsn> CapstoneDisassemble(const CapstoneDecoding& decoding,
                                             std::span<const uint8_t> code, uint64_t addr,
                                             size_t max_count) {
  std::vector<DecodedInsn> out;
  csh handle = 0;
  if (cs_open(decoding.arch, decoding.mode, &handle) != CS_ERR_OK) return out;
  cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
  cs_insn* insns = nullptr;
  size_t n = cs_disasm(handle, code.data(), code.size(), addr, max_count, &insns);
  for (size_t i = 0; i < n; ++i) {
    const cs_insn& insn = insns[i];
    DecodedInsn d;
    d.addr = insn.address;
    d.length = static_cast<uint8_t>(insn.size);
    d.text = insn.mnemonic;
    if (insn.op_str[0] != '\0') d.text += std::string(" ") + insn.op_str;
    d.is_call = cs_insn_group(handle, &insn, CS_GRP_CALL);
    d.is_return = cs_insn_group(handle, &insn, CS_GRP_RET);
    decoding.classify(insn, &d);
    out.push_back(std::move(d));
  }
  if (n > 0) cs_free(insns, n);
  cs_close(&handle);
  return out;
}

}  // namespace rwd::arch
