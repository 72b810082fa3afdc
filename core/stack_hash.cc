#include "core/stack_hash.h"

#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/probe_stub.h"
#include "core/proc_maps.h"

namespace rwd {

namespace {

// Most a fingerprint hashes of the executable's own data (.data, .bss),
// and of the brk heap.
constexpr uint64_t kMaxDataBytes = uint64_t{1} << 20;
constexpr uint64_t kMaxHeapBytes = uint64_t{1} << 20;

// Hashes the writable parts of `m`, each page with the protection the
// program gave it (`program_prots` overrides what the maps say now).
void HashWritableParts(const Tracee& tracee, const MemoryMapping& m,
                       const ProgramProtections* program_prots, uint64_t* budget,
                       XXH3_state_t* state) {
  uint64_t at = m.start;
  while (at<m.end&& * budget> 0) {
    // The run up to the next overridden page has the mapping's protection.
    uint64_t end = m.end;
    int prot = m.prot;
    if (program_prots) {
      auto next = program_prots->lower_bound(at);
      if (next != program_prots->end() && next->first == at) {
        prot = next->second;
        end = std::min(m.end, at + static_cast<uint64_t>(getpagesize()));
      } else if (next != program_prots->end() && next->first < m.end) {
        end = next->first;
      }
    }
    if (prot & PROT_WRITE) {
      uint64_t size = std::min(end - at, *budget);
      std::vector<uint8_t> bytes(size);
      auto n = tracee.ReadMemoryPartial(at, bytes);
      if (n.ok()) XXH3_64bits_update(state, bytes.data(), *n);
      *budget -= size;
    }
    at = end;
  }
}

// The executable's writable data and the brk heap (where malloc puts small
// programs' data): the globals, or the memory behind a pointer, that a loop
// counts in when it keeps its counters in memory rather than in registers
// or on the stack. A loop whose registers and stack repeat while it writes
// only the heap (a ring buffer, a count behind a malloc'd pointer) comes
// back to the same registers and stack on many passes; only this tells the
// recorded one from the others.
void HashProgramData(const Tracee& tracee, const ProgramProtections* program_prots,
                     XXH3_state_t* state) {
  char exe[4096];
  std::string link = "/proc/" + std::to_string(tracee.tid()) + "/exe";
  ssize_t len = readlink(link.c_str(), exe, sizeof(exe) - 1);
  if (len <= 0) return;
  const std::string exe_path(exe, static_cast<size_t>(len));
  auto maps = ReadMappings(tracee.tid());
  if (!maps.ok()) return;
  uint64_t budget = kMaxDataBytes;
  uint64_t heap_budget = kMaxHeapBytes;
  uint64_t previous_end = 0;
  bool previous_was_exe = false;
  for (const MemoryMapping& m : *maps) {
    // Which parts of the file's mappings are writable is the program's
    // view, page by page.
    bool exe_part = m.path == exe_path && !m.shared;
    // .bss beyond the file's last page is an anonymous mapping right after it.
    bool bss = previous_was_exe && m.path.empty() && m.start == previous_end && !m.shared;
    previous_was_exe = m.path == exe_path;
    previous_end = m.end;
    if (exe_part || bss) HashWritableParts(tracee, m, program_prots, &budget, state);
    if (m.path == "[heap]") HashWritableParts(tracee, m, program_prots, &heap_budget, state);
  }
}

}  // namespace

std::vector<uint8_t> FingerprintStackWindow(const Tracee& tracee, const arch::Registers& regs) {
  std::vector<uint8_t> bytes(kVaryingStackBytes);
  auto n = tracee.ReadMemoryPartial(tracee.arch().Sp(regs) - kVaryingStackBelowSp, bytes);
  // An unreadable window is empty; both record and replay see the same.
  bytes.resize(n.ok() ? *n : 0);
  return bytes;
}

uint64_t StackHash(const Tracee& tracee, const arch::Registers& regs, bool globals,
                   const ProgramProtections* program_prots) {
  std::vector<uint8_t> bytes = FingerprintStackWindow(tracee, regs);
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, bytes.data(), bytes.size());
  if (globals) HashProgramData(tracee, program_prots, state);
  uint64_t hash = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return hash;
}

uint64_t StackWindowHash(const Tracee& tracee, const arch::Registers& regs) {
  constexpr uint64_t kBelow = 128;
  constexpr uint64_t kAbove = 4096;
  uint64_t sp = tracee.arch().Sp(regs);
  std::vector<uint8_t> bytes(kBelow + kAbove);
  auto n = tracee.ReadMemoryPartial(sp - kBelow, bytes);
  return XXH3_64bits(bytes.data(), n.ok() ? *n : 0);
}

std::vector<uint8_t> FingerprintVectorRegisters(const Tracee& tracee) {
  Expected<std::vector<uint8_t>> fp = tracee.GetFpRegisters();
  if (!fp.ok()) return {};
  return tracee.arch().VectorRegisterValues(*fp);
}

}  // namespace rwd
