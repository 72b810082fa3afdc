// ScanAArch64TrapSites: finds the AArch64 instructions whose results the
// kernel cannot make deterministic and that the recorder must patch with
// `brk #0`: reads of the generic timer's counters (mrs Xt, CNTVCT_EL0 and
// friends; Linux lets EL0 read the virtual counter directly) and of the
// random number registers (mrs Xt, RNDR / RNDRRS).
//
// Instructions are 4-byte aligned words, so every aligned word is a
// candidate; matching words are confirmed with Capstone (CS_ARCH_ARM64).
// Reads of PMU counters (PMCCNTR_EL0, PMEVCNTR<n>_EL0), which only work
// when the kernel grants user access, cannot be reproduced: they are not
// patched and a warning names them. Pure apart from that warning;
// thread-safe (each call opens its own Capstone handle).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "arch/arch.h"

namespace rwd::arch {

std::vector<TrapSite> ScanAArch64TrapSites(std::span<const uint8_t> code, uint64_t addr);

}  // namespace rwd::arch
