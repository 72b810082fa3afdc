// ProbeEncoder: the architecture half of in-process probe stubs (DESIGN.md,
// "Positions without hardware counters"). A probe replaces the instruction(s)
// at a site with a jump to a trampoline that compares the thread's general
// registers with a target and traps only when they all match; otherwise it
// runs the displaced instructions, relocated, and jumps back. core/probe_stub.h
// owns the tracee side (pages, writes, hits); this interface only turns bytes
// and addresses into bytes, so it is pure and works on any host.
//
// Encoders are immutable singletons; thread-safe. An architecture without one
// (ProbeEncoderFor returns nullptr) makes callers fall back to breakpoints.
// Each architecture describes its own (arch/<arch>/<arch>_probe.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "arch/arch.h"
#include "arch/registers.h"

namespace rwd::arch {

// What a probe at `pc` displaces, or why there can be none.
struct ProbeSite {
  uint64_t pc = 0;
  std::vector<uint8_t> original;  // the displaced bytes at pc; the patch covers exactly these
  std::string refusal;            // non-empty: the site cannot be patched, and why
};

// An extra condition for a hit: the 8-byte word at [sp + sp_offset] (sp as
// the thread has it at the site) equals `value`. It tells apart passes of a
// loop that keeps its counter on the stack and so arrives at the site with
// the same registers every time (unoptimized code). The word is read only
// once the registers, sp included, matched: it is then an address that was
// readable when the target was taken.
struct ProbeMemCheck {
  int32_t sp_offset = 0;
  uint64_t value = 0;
};

// One probe's bytes. The trampoline lives in a code slot and its private
// variables in a data slot, both allocated by the caller.
struct ProbeCode {
  std::vector<uint8_t> code;   // written at the code slot (<= code_slot_size())
  std::vector<uint8_t> data;   // written at the data slot (<= data_slot_size())
  std::vector<uint8_t> patch;  // written over site.original at site.pc
  // pc of a thread stopped by the probe's trap. The thread's registers are
  // its own there (the trampoline has restored its scratch register); only
  // pc differs from the site's.
  uint64_t trap_pc = 0;
  // Entry of the relocated displaced instructions: a thread that would be at
  // site.pc continues from here without being compared (and, when nothing
  // changes its pc, a thread at trap_pc continues there too).
  uint64_t bypass_pc = 0;
  // Address of the 8-byte pass counter in the data slot, 0 when the probe
  // keeps none: arrivals at the site so far (Build with count_passes), or
  // arrivals still to come before the trap (BuildCountdown).
  uint64_t pass_counter = 0;
  // Where each displaced instruction's copy starts, in order: a thread at
  // `original` (a site byte the patch now covers) is equivalently at `copy`,
  // and the other way round once the copy's instruction is reached. Empty
  // when the encoder does not say (then the caller must not rely on it).
  struct Relocated {
    uint64_t original = 0;
    uint64_t copy = 0;
  };
  std::vector<Relocated> relocated;
  std::string refusal;  // non-empty: nothing above is valid, and why
};

// What differs between architectures' probe stubs: sizes, and the code that
// plans a site and builds a trampoline. The build functions are given only
// sites that were planned (no refusal, at least patch_bytes displaced), and
// only count passes where pass_count_refusal is empty; ProbeEncoder checks
// that for every architecture.
struct ProbeEncoderDescription {
  // Bytes one probe needs in the injected code and data pages.
  size_t code_slot_size = 0;
  size_t data_slot_size = 0;
  // How far a trampoline (all of its code and data slots) may lie from its
  // site, in either direction.
  uint64_t reach = 0;
  // The fewest bytes a patch covers (its jump's length).
  size_t patch_bytes = 0;
  // Empty where Build with count_passes and BuildCountdown work; otherwise
  // why not, and they refuse every site with it.
  std::string_view pass_count_refusal;
  ProbeSite (*plan_site)(std::span<const uint8_t> code, uint64_t code_addr, uint64_t pc) = nullptr;
  ProbeCode (*build)(const ProbeSite& site, const Registers& target, uint64_t code_addr,
                     uint64_t data_addr, std::optional<ProbeMemCheck> mem, bool count_passes,
                     std::span<const uint8_t> vectors) = nullptr;
  ProbeCode (*build_countdown)(const ProbeSite& site, uint64_t passes, uint64_t code_addr,
                               uint64_t data_addr) = nullptr;
};

// One architecture's probe encoder, from its ProbeEncoderDescription.
class ProbeEncoder {
 public:
  explicit constexpr ProbeEncoder(const ProbeEncoderDescription& description)
      : d_(description) {}

  size_t code_slot_size() const { return d_.code_slot_size; }
  size_t data_slot_size() const { return d_.data_slot_size; }
  uint64_t reach() const { return d_.reach; }
  // Whether Build with count_passes and BuildCountdown work here; where they
  // do not, they refuse every site.
  bool counts_passes() const { return d_.pass_count_refusal.empty(); }

  // Decides what a probe at `pc` displaces. `code` is the tracee's code
  // mapped at `code_addr`; it must contain pc and the longest instruction
  // sequence a patch can cover, and should contain the code around pc so
  // that branches into the displaced bytes can be seen and refused.
  ProbeSite PlanSite(std::span<const uint8_t> code, uint64_t code_addr, uint64_t pc) const {
    return d_.plan_site(code, code_addr, pc);
  }
  // Builds the trampoline for `site` comparing against `target` and, when
  // given, `mem`, for slots at `code_addr` and `data_addr`. With
  // `count_passes` it also counts every arrival (ProbeCode::pass_counter).
  // `vectors`, when not empty, are the target's FP and vector registers as
  // Arch::VectorRegisterValues lays them out; the encoder compares those it
  // can after the general registers (a loop in vector code repeats those),
  // the caller the rest.
  ProbeCode Build(const ProbeSite& site, const Registers& target, uint64_t code_addr,
                  uint64_t data_addr, std::optional<ProbeMemCheck> mem, bool count_passes,
                  std::span<const uint8_t> vectors) const;
  // A trampoline that compares nothing and traps at the `passes`-th arrival
  // (passes >= 1) of any thread at the site: "the n-th time the program got
  // here", which names a point inside a loop without a branch counter.
  ProbeCode BuildCountdown(const ProbeSite& site, uint64_t passes, uint64_t code_addr,
                           uint64_t data_addr) const;

 private:
  // A refusal when `site` was not planned, else empty.
  std::string Unplanned(const ProbeSite& site) const;

  const ProbeEncoderDescription& d_;
};

// nullptr when `arch` has no probe encoder.
const ProbeEncoder* ProbeEncoderFor(const Arch& arch);

}  // namespace rwd::arch
