// kX86_64ProbeEncoder: probe stubs for x86-64 (arch/probe_encoder.h).
//
// The patch is a 5-byte `jmp rel32` over the site's instruction(s), the rest
// of the displaced bytes filled with int3. The trampoline must not change
// flags or memory the program can see, and has no free register, so:
//   mov [data.save], rcx                  ; the one scratch register
//   mov rcx, [data.neg_R] ; lea rcx, [R + rcx] ; jrcxz next ; jmp miss
//                                         ; per register R, neg_R = -target
// rax is compared first; once it is known to equal its target it is a
// second scratch register (reloaded from data afterwards), which compares
// the arithmetic flags (lahf; seto al) and rcx itself. All 16 general
// registers and SF ZF AF PF CF OF are compared; DF and the segment and base
// registers are not (they do not change within a loop).
// With a memory check (ProbeMemCheck) rsp is compared second instead of
// last, and right after it, with rax as scratch:
//   mov rax, [rsp + off] ; mov rcx, [data.neg_mem] ; lea rcx, [rax + rcx]
//   mov rax, [data.target_rax] ; jrcxz next ; jmp miss
// so a loop whose registers never change leaves after a few instructions,
// and the word is read only at the rsp it was recorded at.
// With the target's vector registers, xmm0-15 are compared last, xmm15
// (saved in data) as scratch and rcx receiving the byte mask:
//   movdqu xmm15, [data.xmm_i] ; pcmpeqb xmm15, xmm_i ; pmovmskb ecx, xmm15
//   lea rcx, [rcx - 0xffff] ; jrcxz next ; jmp vector_miss
// xmm15 itself with xmm0 as scratch once xmm0 is known to match; the
// vector miss path restores xmm15 first. None of these touch the flags.
// Counting passes adds, right after the first store (lea leaves the flags):
//   mov rcx, [data.passes] ; lea rcx, [rcx + 1] ; mov [data.passes], rcx
// A countdown probe compares no register; its one check is
//   mov rcx, [data.passes] ; lea rcx, [rcx - 1] ; mov [data.passes], rcx
//   jrcxz hit ; jmp miss
//   hit:    mov rcx, [data.save] ; int3 ; jmp bypass
//   miss:   mov rcx, [data.save]
//   bypass: <displaced instructions, relocated> ; jmp site + displaced
// The data slot is a separate page from the code: a store into a page that
// is being executed makes the CPU flush its pipeline (self-modifying code
// detection), which would cost more than the whole comparison.
//
// The one save slot means only one thread may be inside a trampoline at a
// time and a signal handler must not re-enter it: rewind runs one thread at
// a time and delivers signals only at events, never inside a trampoline.
// Needs lahf in 64-bit mode (every x86-64 CPU since 2006).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "arch/probe_encoder.h"

namespace rwd::arch {

// The patch's rel32 reaches ±2 GiB; the trampoline's slots must lie within
// that less a margin for the distance between a page pair's slots.
extern const ProbeEncoderDescription kX86_64ProbeEncoder;

// The description's plan_site (x86_64_probe_site.cc): displaces whole
// instructions from pc until 5 bytes are covered. Refuses calls, returns,
// syscalls, interrupts, endbr, loop/jrcxz/xbegin anywhere; a jump other than
// as the first instruction; an unconditional jump followed by displaced
// bytes (they may not be code); and any direct branch in `code` (linear
// sweep from its first byte) into the displaced bytes after pc. Indirect
// branches into them cannot be seen.
ProbeSite PlanX86_64ProbeSite(std::span<const uint8_t> code, uint64_t code_addr, uint64_t pc);

// Appends the instructions `code` (originally at `from`) to `out` as they
// must read when out's first appended byte sits at `to`: RIP-relative
// operands are re-aimed and jmp/jcc become their rel32 forms, so the copy
// may be longer. Returns a reason when it cannot (a target out of rel32
// reach, an instruction that must not move, bytes that do not decode);
// `out` is then unspecified. `starts`, when given, receives where each
// instruction and its copy begin. Exposed for tests.
std::string RelocateX86_64Code(std::span<const uint8_t> code, uint64_t from, uint64_t to,
                               std::vector<uint8_t>& out,
                               std::vector<ProbeCode::Relocated>* starts = nullptr);

}  // namespace rwd::arch
