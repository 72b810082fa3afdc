#include "arch/capstone_text.h"
#include "arch/x86_64/x86_64_arch.h"

namespace rwd::arch {

std::string X86_64Arch::DisassembleInsn(std::span<const uint8_t> code, uint64_t addr) const {
  return CapstoneInsnText(CS_ARCH_X86, CS_MODE_64, code, addr);
}

}  // namespace rwd::arch
