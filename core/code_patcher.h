// CodePatcher: the code changes rewind makes inside a tracee, identical in
// record and replay so both execute the same instructions:
//  - vDSO time functions become real syscalls (`mov nr; syscall; ret`), so
//    their results are recorded like any syscall;
//  - instructions the kernel cannot make fault (rdrand, rdseed, counter
//    reads, and where the host needs it rdtsc and cpuid) get a breakpoint
//    instruction; the tracer emulates them.
// It remembers the original bytes so debugger reads show unpatched memory.
// One CodePatcher per address space; reset it on exec.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "base/status.h"
#include "core/tracee.h"

namespace rwd {

class CodePatcher {
 public:
  // Patches the vDSO; returns the address of a syscall instruction inside it
  // that injected syscalls can use.
  Expected<uint64_t> PatchVdso(Tracee& tracee);
  // What a range of code holds when it is a fresh mapping of a file that
  // nothing wrote to since it was mapped: the file's content id (the
  // trace's, trace/file_store.h) and the offset mapped.
  struct MappedFile {
    std::string file_id;
    uint64_t offset = 0;
  };
  // Scans [start, end) of the tracee's code and patches trap sites, among
  // them those of the kinds the current image asked for (Reset).
  // Returns the patched addresses. With `file`, a range scanned before
  // (cc1 at each of make's compiles) is not read again: its sites are
  // remembered by the file's content.
  Expected<std::vector<uint64_t>> PatchTrapSites(Tracee& tracee, uint64_t start, uint64_t end,
                                                 const MappedFile* file = nullptr);

  // The trap instruction patched at `addr`, if any.
  std::optional<arch::TrapInsn> TrapSiteAt(uint64_t addr) const;
  // Replaces patched bytes inside [addr, addr+bytes.size()) by the originals.
  void Unpatch(uint64_t addr, std::span<uint8_t> bytes) const;
  uint64_t syscall_insn() const { return syscall_insn_; }
  // Forgets every patch (a new image after exec). `kinds`: what the image's
  // trap sites include besides those patched always (Arch::ScanForTrapSites).
  void Reset(arch::TrapScanKinds kinds) {
    *this = CodePatcher();
    kinds_ = kinds;
  }
  // Changes what later PatchTrapSites calls patch; earlier patches stay.
  void SetKinds(arch::TrapScanKinds kinds) { kinds_ = kinds; }
  const arch::TrapScanKinds& kinds() const { return kinds_; }
  bool patch_tsc_reads() const { return kinds_.tsc_reads; }

  // The patches, for a snapshot of the process (trace/snapshot.h), and a
  // patcher for a process whose memory already holds them.
  struct SavedPatch {
    uint64_t addr = 0;
    std::vector<uint8_t> original;
    std::optional<arch::TrapInsn> trap;
  };
  std::vector<SavedPatch> Saved() const;
  static CodePatcher FromSaved(const std::vector<SavedPatch>& patches, uint64_t syscall_insn,
                               arch::TrapScanKinds kinds);

 private:
  struct Patch {
    std::vector<uint8_t> original;
    std::optional<arch::TrapInsn> trap;
  };
  Status Apply(Tracee& tracee, uint64_t addr, std::span<const uint8_t> bytes,
               std::optional<arch::TrapInsn> trap);

  std::map<uint64_t, Patch> patches_;
  uint64_t syscall_insn_ = 0;
  arch::TrapScanKinds kinds_;
};

// Whether an image's cpuid instructions are patched to trap: where the
// program must see masked values (kBaseline) and the CPU cannot make cpuid
// fault. Record and replay decide alike, from the trace's mask and the exec
// event's cpuid_faulting.
inline bool PatchesCpuid(arch::CpuidMask mask, bool cpuid_faulting) {
  return mask == arch::CpuidMask::kBaseline && !cpuid_faulting;
}

}  // namespace rwd
