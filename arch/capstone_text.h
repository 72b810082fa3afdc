// One instruction as text, through Capstone: the shared body of the
// architectures' Arch::DisassembleInsn, which pass their Capstone arch and mode.
#pragma once

#include <capstone/capstone.h>

#include <cstdint>
#include <span>
#include <string>

namespace rwd::arch {

std::string CapstoneInsnText(cs_arch arch, cs_mode mode, std::span<const uint8_t> code,
                             uint64_t addr);

}  // namespace rwd::arch
