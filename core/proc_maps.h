// Reading /proc/<pid>/maps and /proc/<pid>/auxv of a tracee.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace rwd {

struct MemoryMapping {
  uint64_t start = 0;
  uint64_t end = 0;
  uint32_t prot = 0;  // PROT_READ | PROT_WRITE | PROT_EXEC
  bool shared = false;
  uint64_t offset = 0;
  uint64_t inode = 0;
  std::string path;  // file path, "[vdso]", "[stack]", "" for anonymous

  bool is_file() const { return inode != 0 && !path.empty() && path[0] == '/'; }
};

Expected<std::vector<MemoryMapping>> ReadMappings(pid_t pid);
std::optional<MemoryMapping> FindMapping(const std::vector<MemoryMapping>& maps,
                                         const std::string& path);

// (type, value) pairs of the aux vector, as raw bytes and decoded.
Expected<std::vector<uint8_t>> ReadAuxvBytes(pid_t pid);
std::vector<std::pair<uint64_t, uint64_t>> DecodeAuxv(const std::vector<uint8_t>& bytes);
std::optional<uint64_t> AuxvValue(const std::vector<uint8_t>& bytes, uint64_t type);

}  // namespace rwd
