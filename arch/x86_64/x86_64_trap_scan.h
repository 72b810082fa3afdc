// ScanX86_64TrapSites: finds rdrand and rdseed in x86-64 code, the
// instructions the kernel cannot make fault and that the recorder must patch,
// with `kinds.tsc_reads` also rdtsc and rdtscp (for hosts whose hypervisor
// ignores the kernel's PR_SET_TSC, so that they do not fault either), and
// with `kinds.cpuid` cpuid (for CPUs without cpuid faulting, when the
// program must see masked values).
//
// The result equals what a linear sweep (Capstone, one byte skipped over
// anything undecodable) from the first byte of `code` finds, but only the
// neighbourhoods of byte patterns that could encode these instructions are
// disassembled, so code without them costs one pass over its bytes. Like any
// linear sweep, data embedded in code can hide a real instruction or fake
// one. Pure function; thread-safe (each call opens its own Capstone handle).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "arch/arch.h"

namespace rwd::arch {

std::vector<TrapSite> ScanX86_64TrapSites(std::span<const uint8_t> code, uint64_t addr,
                                          TrapScanKinds kinds);

}  // namespace rwd::arch
