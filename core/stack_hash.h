// StackHash: a hash of the memory around a thread's stack pointer. Together
// with the registers it fingerprints a point of execution (DESIGN.md,
// "Positions"): in a loop whose counter lives on the stack the registers
// can repeat while this memory does not.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "arch/registers.h"
#include "core/tracee.h"

namespace rwd {

// Page start -> the protection the program gave a page that the replayer
// has protected differently since (page-protection watchpoints).
using ProgramProtections = std::map<uint64_t, int>;

// Covers [sp - 128, sp + 4096) (the red zone and the innermost frames) and,
// with `globals`, the executable's writable data and the brk heap (up to
// 1 MiB each), where a loop may count while its registers and stack repeat. Writable as the program
// made it: with `program_prots` for the pages the replayer protected, so
// that setting a watchpoint changes no fingerprint.
uint64_t StackHash(const Tracee& tracee, const arch::Registers& regs, bool globals,
                   const ProgramProtections* program_prots = nullptr);

// The stack bytes StackHash covers, [sp - 128, sp + 4096), fewer where the
// memory ends: kept with a fingerprint so that replay can find the word that
// tells the recorded pass of a loop from the others (core/probe_stub.h).
std::vector<uint8_t> FingerprintStackWindow(const Tracee& tracee, const arch::Registers& regs);

// Covers [sp - 128, sp + 4096) only: cheap enough for every breakpoint hit
// (one read), and it tells apart the calls of a recursive function that
// reach one instruction with identical registers by different paths (the
// return addresses and arguments of the frames above differ).
uint64_t StackWindowHash(const Tracee& tracee, const arch::Registers& regs);

// The thread's FP and vector registers (Arch::VectorRegisterValues), the
// third part of a fingerprint: vector code (software AES, SIMD hashing)
// comes back to the same general registers and stack on every block while
// its state changes only there. Empty when they cannot be read.
std::vector<uint8_t> FingerprintVectorRegisters(const Tracee& tracee);

}  // namespace rwd
