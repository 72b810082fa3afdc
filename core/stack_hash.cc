#include "core/stack_hash.h"

#include <xxhash.h>

#include <vector>

namespace rwd {

uint64_t StackHash(const Tracee& tracee, const arch::Registers& regs) {
  constexpr uint64_t kBelow = 128;
  constexpr uint64_t kAbove = 512;
  uint64_t sp = tracee.arch().Sp(regs);
  std::vector<uint8_t> bytes(kBelow + kAbove);
  auto n = tracee.ReadMemoryPartial(sp - kBelow, bytes);
  // An unreadable window hashes as empty; both record and replay see the same.
  bytes.resize(n.ok() ? *n : 0);
  return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace rwd
