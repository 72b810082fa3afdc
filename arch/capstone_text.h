// Instructions as text, through Capstone: the shared bodies of the
// architectures' Arch::DisassembleInsn and Arch::Disassemble, which pass
// their Capstone arch and mode.
#pragma once

#include <capstone/capstone.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "arch/arch.h"

namespace rwd::arch {

std::string CapstoneInsnText(cs_arch arch, cs_mode mode, std::span<const uint8_t> code,
                             uint64_t addr);

// Completes `out` (text and length set; calls and returns as Capstone's
// groups say) from Capstone's details of the architecture (`insn.detail`
// is set): direct branch targets, and calls or returns the groups miss.
using ClassifyInsn = void (*)(const cs_insn& insn, DecodedInsn* out);

std::vector<DecodedInsn> CapstoneDisassemble(cs_arch arch, cs_mode mode,
                                             std::span<const uint8_t> code, uint64_t addr,
                                             size_t max_count, ClassifyInsn classify);

}  // namespace rwd::arch
