#include "core/stack_hash.h"

#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include <string>
#include <vector>

#include "core/probe_stub.h"
#include "core/proc_maps.h"

namespace rwd {

namespace {

// Most a fingerprint hashes of the executable's own data (.data, .bss).
constexpr uint64_t kMaxDataBytes = uint64_t{1} << 20;

// The executable's writable data: the globals a loop counts in when it keeps
// its counters in memory rather than in registers or on the stack.
void HashExecutableData(const Tracee& tracee, XXH3_state_t* state) {
  char exe[4096];
  std::string link = "/proc/" + std::to_string(tracee.tid()) + "/exe";
  ssize_t len = readlink(link.c_str(), exe, sizeof(exe) - 1);
  if (len <= 0) return;
  auto maps = ReadMappings(tracee.tid());
  if (!maps.ok()) return;
  uint64_t budget = kMaxDataBytes;
  uint64_t previous_end = 0;
  bool previous_was_exe = false;
  for (const MemoryMapping& m : *maps) {
    bool exe_data =
        m.path == std::string(exe, static_cast<size_t>(len)) && (m.prot & PROT_WRITE) && !m.shared;
    // .bss beyond the file's last page is an anonymous mapping right after it.
    bool bss = previous_was_exe && m.path.empty() && m.start == previous_end &&
               (m.prot & PROT_WRITE) && !m.shared;
    previous_was_exe = m.path == std::string(exe, static_cast<size_t>(len));
    previous_end = m.end;
    if (!exe_data && !bss) continue;
    uint64_t size = std::min(m.end - m.start, budget);
    std::vector<uint8_t> bytes(size);
    auto n = tracee.ReadMemoryPartial(m.start, bytes);
    if (n.ok()) XXH3_64bits_update(state, bytes.data(), *n);
    budget -= size;
    if (budget == 0) return;
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

uint64_t StackHash(const Tracee& tracee, const arch::Registers& regs, bool globals) {
  std::vector<uint8_t> bytes = FingerprintStackWindow(tracee, regs);
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  XXH3_64bits_update(state, bytes.data(), bytes.size());
  if (globals) HashExecutableData(tracee, state);
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
