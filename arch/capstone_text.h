// Instructions as text, through Capstone: the bodies of Arch::DisassembleInsn
// and Arch::Disassemble, driven by the architecture's CapstoneDecoding
// (ArchDescription::disassembler).
#pragma once

#include <capstone/capstone.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "arch/arch.h"

namespace rwd::arch {

// Completes `out` (text and length set; calls and returns as Capstone's
// groups say) from Capstone's details of the architecture (`insn.detail`
// is set): direct branch targets, and calls or returns the groups miss.
using ClassifyInsn = void (*)(const cs_insn& insn, DecodedInsn* out);

struct CapstoneDecoding {
  cs_arch arch;
  cs_mode mode;
  ClassifyInsn classify;
};

std::string CapstoneInsnText(const CapstoneDecoding& decoding, std::span<const uint8_t> code,
                             uint64_t addr);

std::vector<DecodedInsn> CapstoneDisassemble(const CapstoneDecoding& decoding,
                                             std::span<const uint8_t> code, uint64_t addr,
                                             size_t max_count);

}  // namespace rwd::arch
