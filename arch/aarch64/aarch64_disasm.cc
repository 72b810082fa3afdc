#include "arch/aarch64/aarch64_arch.h"
#include "arch/capstone_text.h"

namespace rwd::arch {

std::string AArch64Arch::DisassembleInsn(std::span<const uint8_t> code, uint64_t addr) const {
  return CapstoneInsnText(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, code, addr);
}

}  // namespace rwd::arch
