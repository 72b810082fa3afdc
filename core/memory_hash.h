// WritableMemoryHash: a hash of all the memory a thread alone in its
// process could have changed without a syscall, beyond what StackHash
// covers: every private writable mapping (anonymous memory such as an
// interpreter's arenas, the heap, every object's data and bss). Recorded
// with the first signal placed by fingerprint in a loop, it tells apart
// passes whose registers, stack window and the executable's globals repeat
// while the loop's state lives elsewhere (issue 13: a Python loop keeps its
// counters in pymalloc arenas), and with every signal named by its pass it
// checks that replay arrived in the recorded state.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/stack_hash.h"
#include "core/tracee.h"

namespace rwd {

// Address ranges [first, second) that rewind mapped into the program itself
// (probe pages): their contents differ between recording and replay.
using OwnRanges = std::vector<std::pair<uint64_t, uint64_t>>;

// One page of that memory: its address and the XXH3 of its bytes.
struct PageHash {
  uint64_t addr = 0;
  uint64_t hash = 0;
  bool operator==(const PageHash&) const = default;
};

// Hashes, page by page in address order, the private mappings that are
// writable and not executable as the program made them (`program_prots`
// overrides pages the replayer protected, as for StackHash), except the
// main stack (StackHash covers its live window; below sp is scratch), the
// files `skip_file` names (the syscall buffer library: its data says
// whether it records or replays), and `own`. Covers at most the first
// 64 MiB of such memory, the same pages on both sides. ~1 ms per MiB.
std::vector<PageHash> WritableMemoryPages(const Tracee& tracee, const OwnRanges& own,
                                          const std::function<bool(const std::string&)>& skip_file,
                                          const ProgramProtections* program_prots = nullptr);
// One hash of all pages (never 0: 0 in a trace means "not hashed").
uint64_t CombinedHash(const std::vector<PageHash>& pages);
// CombinedHash(WritableMemoryPages(...)).
uint64_t WritableMemoryHash(const Tracee& tracee, const OwnRanges& own,
                            const std::function<bool(const std::string&)>& skip_file,
                            const ProgramProtections* program_prots = nullptr);
// The hash of the page at `addr` as WritableMemoryPages computes it.
uint64_t PageContentHash(const Tracee& tracee, uint64_t addr);
// PageHash lists as trace bytes (host order, 16 bytes a page) and back.
std::vector<uint8_t> EncodePageHashes(const std::vector<PageHash>& pages);
std::vector<PageHash> DecodePageHashes(const std::vector<uint8_t>& bytes);

}  // namespace rwd
