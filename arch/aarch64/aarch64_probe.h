// kAArch64ProbeEncoder: probe stubs for AArch64 (arch/probe_encoder.h).
//
// The patch is one `b` (±128 MiB) over the site's instruction. AArch64 has
// no store without a base register, and every register holds the program's
// value, so the trampoline cannot save a scratch register before it knows
// one. It writes no memory at all:
//  - x0 is compared in place. A bijection of x0 that maps its target to 0
//    (subtract a 24-bit chunk, rotate by 24, three times) runs on x0, then
//    `cbnz x0, undo`; the undo path runs the inverse and leaves x0 as it
//    was. Past the cbnz x0 is known (its target), so it is scratch.
//  - Every other register R: `ldr x0, =-target_R ; add x0, x0, R ;
//    cbnz x0, miss`. sp through `add x0, sp, x0`. The flags:
//    `mrs x0, nzcv ; lsr x0, x0, #28 ; sub x0, x0, #target ; cbnz x0, miss`.
//    None of these change the flags.
//  - x7 is not compared: syscall stops report it as 0 or 1, so positions
//    name it cleared (Arch::ClearStopArtifacts) and the tracer compares it.
//  - A memory check (ProbeMemCheck) loads [sp + off] into x0 once sp
//    matched and puts it through the bijection of its value.
//   hit:    ldr x0, =target_x0 ; brk #0 ; b bypass
//   miss:   ldr x0, =target_x0
//   bypass: <displaced instruction, relocated> ; b site + 4
// The literals live in the data slot, within `ldr`'s ±1 MiB of the code.
// Counting passes needs a store on every arrival, before any register is
// known, so Build with count_passes and BuildCountdown refuse: callers use
// breakpoints for those. Vector registers are left to the tracer. No
// instruction cache maintenance is needed: ptrace's writes to text go
// through the kernel, which flushes the caches for the written range.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "arch/probe_encoder.h"

namespace rwd::arch {

// The patch (`b`) reaches ±128 MiB; the trampoline's slots must lie within
// that less a margin for the distance between a page pair's slots.
// PlanSite displaces the one instruction at pc. It refuses calls (bl, blr),
// exception-generating instructions (svc, brk, ...), exclusive and ordered
// loads and stores and any site within an ldxr/stxr sequence (the
// trampoline would clear the monitor), BTI landing pads (bti, paciasp,
// pacibsp: an indirect branch to the patch would fault), and literal loads
// into FP/SIMD registers.
extern const ProbeEncoderDescription kAArch64ProbeEncoder;

// Appends the instruction `insn` (originally at `from`) to `out` as it must
// read when placed at `to` (out's first appended word): branches and
// pc-relative addresses are re-aimed, the address an adr/adrp or literal
// load computes comes from a literal written at `literal_addr` (8 bytes;
// `literal` receives its value). Returns a reason when it cannot. Exposed
// for tests.
std::string RelocateAArch64Insn(uint32_t insn, uint64_t from, uint64_t to, uint64_t literal_addr,
                                std::vector<uint32_t>& out, std::optional<uint64_t>& literal);

}  // namespace rwd::arch
