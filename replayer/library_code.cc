#include "replayer/library_code.h"

#include <sys/mman.h>

#include <string_view>

#include "preload/syscallbuf_abi.h"

namespace rwd::replayer {

namespace {

bool IsLibraryPath(std::string_view path) {
  constexpr std::string_view kName = "/" RWD_SB_LIBRARY_NAME;
  return path.ends_with(kName);
}

bool IsLibraryText(const MemoryMapping& m,
                   const std::map<std::string, std::string>& mapped_files) {
  if (!(m.prot & PROT_EXEC) || !m.is_file()) return false;
  if (IsLibraryPath(m.path)) return true;
  for (const auto& [seen, copy] : mapped_files) {
    if (copy == m.path && IsLibraryPath(seen)) return true;
  }
  return false;
}

}  // namespace

bool LibraryCode::Contains(uint64_t pc) const {
  for (const auto& [start, end] : ranges_) {
    if (pc >= start && pc < end) return true;
  }
  return false;
}

LibraryCode LibraryCode::Find(const Tracee& tracee, const std::vector<MemoryMapping>& maps,
                              const std::map<std::string, std::string>& mapped_files) {
  LibraryCode code;
  for (const MemoryMapping& m : maps) {
    if (IsLibraryText(m, mapped_files)) code.ranges_.emplace_back(m.start, m.end);
  }
  if (code.ranges_.empty()) return code;
  const size_t text_ranges = code.ranges_.size();
  for (const MemoryMapping& m : maps) {
    if (!(m.prot & PROT_EXEC) || !m.path.empty()) continue;
    Expected<uint64_t> entry = tracee.Read<uint64_t>(m.start);
    if (!entry.ok()) continue;
    for (size_t i = 0; i < text_ranges; ++i) {
      if (*entry >= code.ranges_[i].first && *entry < code.ranges_[i].second) {
        code.ranges_.emplace_back(m.start, m.end);
        break;
      }
    }
  }
  return code;
}

Expected<LibraryCode> LibraryCode::Find(const Tracee& tracee,
                                        const std::map<std::string, std::string>& mapped_files) {
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(tracee.tid()));
  return Find(tracee, maps, mapped_files);
}

}  // namespace rwd::replayer
