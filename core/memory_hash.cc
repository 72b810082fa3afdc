#include "core/memory_hash.h"

#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/hex.h"
#include "core/proc_maps.h"

namespace rwd {

namespace {

constexpr uint64_t kMaxHashedBytes = uint64_t{64} << 20;
constexpr uint64_t kChunkBytes = uint64_t{1} << 20;

// The protection the program gave page `at` of mapping `m`.
int ProgramProt(const MemoryMapping& m, uint64_t at, const ProgramProtections* program_prots) {
  if (program_prots) {
    auto it = program_prots->find(at);
    if (it != program_prots->end()) return it->second;
  }
  return static_cast<int>(m.prot);
}

bool Hashed(int prot) { return (prot & PROT_WRITE) && !(prot & PROT_EXEC); }

}  // namespace

std::vector<PageHash> WritableMemoryPages(const Tracee& tracee, const OwnRanges& own,
                                          const std::function<bool(const std::string&)>& skip_file,
                                          const ProgramProtections* program_prots) {
  std::vector<PageHash> pages;
  Expected<std::vector<MemoryMapping>> maps = ReadMappings(tracee.tid());
  if (!maps.ok()) return pages;
  const bool debug = getenv("REWIND_DEBUG_MEMORY_HASH") != nullptr;
  const uint64_t page = static_cast<uint64_t>(getpagesize());
  std::vector<uint8_t> buffer;
  uint64_t budget = kMaxHashedBytes;
  for (const MemoryMapping& m : *maps) {
    if (budget == 0) break;
    if (m.shared || m.path == "[stack]" || m.path == "[vvar]" || m.path == "[vsyscall]" ||
        (m.is_file() && skip_file(m.path))) {
      continue;
    }
    if (std::any_of(own.begin(), own.end(),
                    [&](const auto& r) { return r.first < m.end && m.start < r.second; })) {
      continue;
    }
    // Runs of pages with one program protection; replay's page-protection
    // watchpoints and code guards change the maps, not what is hashed.
    uint64_t at = m.start;
    while (at < m.end && budget > 0) {
      const int prot = ProgramProt(m, at, program_prots);
      uint64_t end = at + page;
      while (end < m.end && ProgramProt(m, end, program_prots) == prot) end += page;
      while (Hashed(prot) && at < end && budget > 0) {
        uint64_t size = std::min({end - at, budget, kChunkBytes});
        buffer.assign(size, 0);
        // An unreadable rest reads as zeros on both sides.
        (void)tracee.ReadMemoryPartial(at, buffer);
        for (uint64_t off = 0; off < size; off += page) {
          pages.push_back(PageHash{at + off, XXH3_64bits(buffer.data() + off, page)});
          if (debug) {
            fprintf(stderr, "rewind: memory page %s %s: %s\n", Hex(at + off).c_str(),
                    m.path.c_str(), Hex(pages.back().hash).c_str());
          }
        }
        budget -= size;
        at += size;
      }
      at = end;
    }
  }
  return pages;
}

uint64_t CombinedHash(const std::vector<PageHash>& pages) {
  uint64_t hash = XXH3_64bits(pages.data(), pages.size() * sizeof(PageHash));
  return hash == 0 ? 1 : hash;
}

uint64_t WritableMemoryHash(const Tracee& tracee, const OwnRanges& own,
                            const std::function<bool(const std::string&)>& skip_file,
                            const ProgramProtections* program_prots) {
  return CombinedHash(WritableMemoryPages(tracee, own, skip_file, program_prots));
}

uint64_t PageContentHash(const Tracee& tracee, uint64_t addr) {
  std::vector<uint8_t> bytes(static_cast<size_t>(getpagesize()), 0);
  (void)tracee.ReadMemoryPartial(addr, bytes);
  return XXH3_64bits(bytes.data(), bytes.size());
}

std::vector<uint8_t> EncodePageHashes(const std::vector<PageHash>& pages) {
  std::vector<uint8_t> bytes(pages.size() * sizeof(PageHash));
  if (!pages.empty()) std::memcpy(bytes.data(), pages.data(), bytes.size());
  return bytes;
}

std::vector<PageHash> DecodePageHashes(const std::vector<uint8_t>& bytes) {
  std::vector<PageHash> pages(bytes.size() / sizeof(PageHash));
  if (!pages.empty()) std::memcpy(pages.data(), bytes.data(), pages.size() * sizeof(PageHash));
  return pages;
}

}  // namespace rwd
