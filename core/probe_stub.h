// ProbeStub: an in-process probe that stops a thread when it reaches a code
// address with given general registers, at about a nanosecond per pass
// instead of a breakpoint trap's microseconds (DESIGN.md, "Positions without
// hardware counters"). The instruction(s) at the site are replaced by a jump
// to a trampoline in pages injected into the tracee; the trampoline compares
// the registers and executes a breakpoint only when they all match, else it
// runs the displaced instructions and jumps back. The architecture's half is
// arch/probe_encoder.h, which also says which registers are compared.
//
// A hit means the compared registers match; the caller checks the rest of
// the fingerprint (the stack hash, anything the encoder does not compare)
// and, when it does not match, resumes the thread at bypass_pc().
//
// ProbePages is the bookkeeping of the injected pages of one address space,
// ProbeStub one probe in them. Both are plain values: copy them with a
// checkpoint fork (the copy inherits pages and patches), drop them on exec.
// Rules for callers, as for any code patch: install and remove only while
// every thread of the address space is stopped; at most one probe per site;
// a debugger's memory reads go through Unpatch. Not thread-safe (ptrace).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "arch/probe_encoder.h"
#include "arch/registers.h"
#include "base/status.h"
#include "core/proc_maps.h"
#include "core/tracee.h"

namespace rwd {

// The 8-byte word at [sp + sp_offset] must equal value (arch/probe_encoder.h).
using ProbeMemCheck = arch::ProbeMemCheck;

// The stack window VaryingStackWord compares: kVaryingStackBytes from
// sp - kVaryingStackBelowSp (the red zone, then the frames above sp). 4 KiB
// above sp: library code with big frames (OpenSSL's bit-sliced AES keeps
// its key schedule there) reaches one instruction with the same registers
// and innermost 512 bytes on every call, and only its callers' frames, where
// their loop counters are saved, tell the calls apart.
constexpr int32_t kVaryingStackBelowSp = 128;
constexpr size_t kVaryingStackBytes = kVaryingStackBelowSp + 4096;

// Given the same thread stopped twice at one pc with identical registers
// (two passes of a loop), and the stack window above read at each stop
// (`first`, `second`), the sp offset of the lowest 8-byte word that differs:
// the word to give a probe's ProbeMemCheck. nullopt when no word differs.
// Words are taken at multiples of 8 from the window's start, which are
// aligned as long as sp is. Only the bytes both spans hold are compared.
std::optional<int32_t> VaryingStackWord(std::span<const uint8_t> first,
                                        std::span<const uint8_t> second);

// Replay's side of the same: the recorded window at a fingerprinted point
// and the windows at two earlier register-matching passes that were not it
// (`previous`, `current`). Returns the check for a word that changes from
// pass to pass and whose recorded value the current pass does not hold, so
// that a probe with it traps only near the recorded pass instead of on every
// pass of a loop whose registers repeat (a counter kept on the stack above
// the frame the walk chose). Words at or above sp come first: the red zone
// holds scratch that may differ for other reasons. nullopt when none fits.
std::optional<ProbeMemCheck> WordSeparatingPasses(std::span<const uint8_t> recorded,
                                                  std::span<const uint8_t> previous,
                                                  std::span<const uint8_t> current);

class ProbePages {
 public:
  // Trampoline pages mapped at [start, end): code slots (read+exec) first,
  // then data slots (read+write).
  struct Area {
    uint64_t start = 0;
    uint64_t data = 0;
    uint64_t end = 0;
    size_t used = 0;  // slots handed out
  };
  struct Slot {
    uint64_t code = 0;
    uint64_t data = 0;
  };

  // A fresh slot within `encoder`'s reach of `pc`. Maps a new area with an
  // injected mmap (through the syscall instruction at `syscall_insn`) when
  // no area in reach has room, in a hole a program does not normally use:
  // above the highest mapping below the stack (the kernel hands out mmap
  // addresses below there), else below the object containing pc, else the
  // nearest hole. Slots are never reused: a thread may still be inside a
  // removed probe's trampoline, whose code must stay.
  Expected<Slot> Allocate(Tracee& tracee, uint64_t syscall_insn, uint64_t pc,
                          const arch::ProbeEncoder& encoder);

  // Every area mapped so far, so callers can tell them from the program's
  // own mappings.
  const std::vector<Area>& areas() const { return areas_; }
  // Whether an area meets [start, end).
  bool Overlaps(uint64_t start, uint64_t end) const {
    return std::any_of(areas_.begin(), areas_.end(),
                       [&](const Area& a) { return a.start < end && start < a.end; });
  }
  // The program maps or unmaps [start, end): the areas there are gone, or
  // no longer ours (no probe may be left in them).
  void Forget(uint64_t start, uint64_t end) {
    std::erase_if(areas_, [&](const Area& a) { return a.start < end && start < a.end; });
  }
  // Unmaps every area, with injected munmaps (the tracee in a syscall
  // stop): for a caller whose probes are all gone and whose threads are
  // all outside the trampolines, so that the program's address space is
  // its own again. The areas are forgotten even when an munmap fails.
  Status Release(Tracee& tracee, uint64_t syscall_insn);
  // Whether `addr` lies in a trampoline's code: a thread stopped there is
  // somewhere the program's code does not show.
  bool InCode(uint64_t addr) const {
    return std::any_of(areas_.begin(), areas_.end(),
                       [&](const Area& a) { return addr >= a.start && addr < a.data; });
  }

 private:
  std::vector<Area> areas_;
};

// Rewrites the bytes read at an address to those of another view of the
// code (e.g. removes breakpoints planted over the program's bytes).
using ProbeCodeFixup = std::function<void(uint64_t addr, std::span<uint8_t> bytes)>;

// How ProbeStub::Install treats what is around the site.
struct ProbePlacement {
  // The code as the program has it: the site is planned on these bytes.
  ProbeCodeFixup program_code;
  // A tracee stopped at a displaced instruction other than the first is
  // moved to that instruction's copy in the trampoline instead of making
  // Install refuse (it goes on exactly as it would have from there).
  bool move_tracee_inside = false;
};

class ProbeStub {
 public:
  using CodeFixup = ProbeCodeFixup;
  using Placement = ProbePlacement;

  // Installs a probe at `pc` of the stopped `tracee` that traps when a
  // thread arrives at pc with `target`'s registers (as far as the encoder
  // compares them) and, given `mem`, with that word on its stack (for a loop
  // whose registers repeat; see VaryingStackWord). kUnsupported, with the
  // reason, when this architecture has no encoder, the site cannot be
  // patched (see the encoder's PlanSite) or the thread is stopped inside the
  // bytes a patch would displace; the caller then uses a breakpoint.
  // Nothing is patched on failure. `vectors`, when not empty, are the
  // target's vector registers (Arch::VectorRegisterValues), which the probe
  // compares as far as its encoder can.
  static Expected<ProbeStub> Install(Tracee& tracee, ProbePages& pages, uint64_t syscall_insn,
                                     uint64_t pc, const arch::Registers& target,
                                     std::optional<ProbeMemCheck> mem = std::nullopt,
                                     std::span<const uint8_t> vectors = {},
                                     const Placement& placement = {});
  // The same, also counting every arrival at pc from now on (Passes).
  static Expected<ProbeStub> InstallCounting(Tracee& tracee, ProbePages& pages,
                                             uint64_t syscall_insn, uint64_t pc,
                                             const arch::Registers& target,
                                             std::optional<ProbeMemCheck> mem = std::nullopt);
  // A probe that compares nothing and traps at the `passes`-th arrival of
  // any thread at pc from now on (passes >= 1).
  static Expected<ProbeStub> InstallCountdown(Tracee& tracee, ProbePages& pages,
                                              uint64_t syscall_insn, uint64_t pc, uint64_t passes,
                                              const Placement& placement = {});

  // Ok when a probe could be installed at `pc` (same checks as Install,
  // nothing written): lets the recorder choose fingerprint points replay
  // can find fast.
  static Status CheckSite(const Tracee& tracee, uint64_t pc);
  // The same with the thread's mappings as read by the caller (a walk of
  // single steps checks many sites between two mapping changes).
  static Status CheckSite(const Tracee& tracee, uint64_t pc,
                          const std::vector<MemoryMapping>& maps);
  // The same for the code as another copy of the process has it: `fixup`
  // rewrites the bytes read at an address (e.g. removes breakpoints only
  // this process has).
  static Status CheckSite(const Tracee& tracee, uint64_t pc, const CodeFixup& fixup);
  uint64_t pc() const { return pc_; }
  // The bytes the patch covers, from pc.
  size_t patch_size() const { return original_.size(); }
  bool Covers(uint64_t addr) const { return addr >= pc_ && addr - pc_ < original_.size(); }
  // Where the trampoline's copy of the displaced instruction at `addr`
  // starts; nullopt when `addr` starts none (or the encoder did not say).
  // A breakpoint there stands for one at `addr`.
  std::optional<uint64_t> CopyOf(uint64_t addr) const;
  // The other way: the displaced instruction whose copy starts at `copy`.
  std::optional<uint64_t> OriginalOf(uint64_t copy) const;
  // A thread resumed here with the registers it has at pc runs the
  // displaced instructions and continues after them, without a comparison:
  // how to go on after a hit the full fingerprint rejects. (Resuming at pc
  // itself would compare again and hit again.) A debugger single-stepping
  // the program should Remove the probe instead: from here the thread's pc
  // walks through the trampoline.
  uint64_t bypass_pc() const { return bypass_pc_; }
  // Where a thread stopped by the probe's trap is (ProbeCode::trap_pc).
  uint64_t trap_pc() const { return trap_pc_; }

  // When `regs` (the thread's current registers, after a SIGTRAP) show the
  // thread stopped at this probe's trap, sets pc to the site, writes the
  // registers back and returns true: the thread is then exactly as it was
  // on arriving at pc. Otherwise leaves everything alone and returns false.
  Expected<bool> TakeHit(const Tracee& tracee, arch::Registers& regs) const;

  // A counting probe's arrivals so far; a countdown probe's arrivals still
  // to come before its trap. kInvalidInput for a probe that keeps no count.
  Expected<uint64_t> Passes(const Tracee& tracee) const;
  // Sets that count (a replacement probe going on where another left off).
  Status SetPasses(Tracee& tracee, uint64_t passes) const;

  // Restores the original bytes. The trampoline stays: a thread inside it
  // still finishes the displaced instructions correctly.
  Status Remove(Tracee& tracee);
  // Writes the patch again after Remove, reusing the trampoline and its
  // counter (the recorder takes the patch out while a syscall runs). Refused
  // when the bytes at pc are no longer the ones the patch displaced.
  Status Reinstall(Tracee& tracee);
  bool installed() const { return installed_; }
  // Writes the original bytes into another process that inherited the
  // patch (a fork's child); this probe stays installed where it was.
  Status RemoveFrom(Tracee& other) const;

  // Replaces patched bytes inside [addr, addr + bytes.size()) by the
  // originals, so a debugger never sees the probe.
  void Unpatch(uint64_t addr, std::span<uint8_t> bytes) const;

 private:
  ProbeStub() = default;
  // Install's common half: `build` makes the code for the planned site.
  static Expected<ProbeStub> InstallBuilt(
      Tracee& tracee, ProbePages& pages, uint64_t syscall_insn, uint64_t pc,
      const std::function<arch::ProbeCode(const arch::ProbeEncoder&, const arch::ProbeSite&,
                                          const ProbePages::Slot&)>& build,
      const Placement& placement = {});

  uint64_t pc_ = 0;
  uint64_t trap_pc_ = 0;
  uint64_t bypass_pc_ = 0;
  uint64_t pass_counter_ = 0;
  std::vector<uint8_t> original_;
  std::vector<uint8_t> patch_;
  std::vector<arch::ProbeCode::Relocated> relocated_;
  bool installed_ = false;
};

}  // namespace rwd
