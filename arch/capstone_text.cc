#include "arch/capstone_text.h"

namespace rwd::arch {

std::string CapstoneInsnText(cs_arch arch, cs_mode mode, std::span<const uint8_t> code,
                             uint64_t addr) {
  csh handle = 0;
  if (cs_open(arch, mode, &handle) != CS_ERR_OK) return "(capstone cannot open this architecture)";
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

}  // namespace rwd::arch
