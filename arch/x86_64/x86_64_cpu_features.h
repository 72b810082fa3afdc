// What x86-64 programs recorded by rewind learn about the CPU: the cpuid
// values the recorder gives them (ShapeRecordedCpuid) and the instruction
// sets a replay machine must have (X86_64UsableCpuFeatures). The two
// follow one definition of the baseline, x86-64-v2, kept in
// x86_64_cpu_features.cc. Pure functions; any host.
#pragma once

#include <cstdint>

#include "arch/arch.h"
#include "arch/x86_64/x86_64_tracer_modes.h"

namespace rwd::arch {

// Narrows the host's cpuid result `r` for leaf `leaf`/`subleaf` to what a
// program recorded under `mask` may see.
void ShapeRecordedCpuid(uint32_t leaf, uint32_t subleaf, CpuidMask mask, CpuidResult& r);

// Arch::UsableCpuFeatures of x86-64 (ArchDescription::usable_cpu_features).
std::string X86_64UsableCpuFeatures(std::string_view host_features, CpuidMask mask);

}  // namespace rwd::arch
