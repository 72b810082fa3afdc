#include "core/proc_maps.h"

#include <sys/mman.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace rwd {

Expected<std::vector<MemoryMapping>> ReadMappings(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/maps";
  std::ifstream in(path);
  if (!in) return Status(ErrorCode::kNotFound, "cannot read " + path);
  std::vector<MemoryMapping> out;
  std::string line;
  while (std::getline(in, line)) {
    MemoryMapping m;
    char perms[8] = {};
    unsigned dev_major, dev_minor;
    int name_pos = 0;
    if (sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64 " %n",
               &m.start, &m.end, perms, &m.offset, &dev_major, &dev_minor, &m.inode,
               &name_pos) < 7) {
      continue;
    }
    if (perms[0] == 'r') m.prot |= PROT_READ;
    if (perms[1] == 'w') m.prot |= PROT_WRITE;
    if (perms[2] == 'x') m.prot |= PROT_EXEC;
    m.shared = perms[3] == 's';
    if (name_pos > 0 && static_cast<size_t>(name_pos) <= line.size()) {
      m.path = line.substr(name_pos);
    }
    out.push_back(std::move(m));
  }
  return out;
}

std::optional<MemoryMapping> FindMapping(const std::vector<MemoryMapping>& maps,
                                         const std::string& path) {
  for (const MemoryMapping& m : maps) {
    if (m.path == path) return m;
  }
  return std::nullopt;
}

Expected<std::vector<uint8_t>> ReadAuxvBytes(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/auxv";
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::kNotFound, "cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return std::vector<uint8_t>(s.begin(), s.end());
}

std::vector<std::pair<uint64_t, uint64_t>> DecodeAuxv(const std::vector<uint8_t>& bytes) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (size_t i = 0; i + 16 <= bytes.size(); i += 16) {
    uint64_t type, value;
    std::memcpy(&type, bytes.data() + i, 8);
    std::memcpy(&value, bytes.data() + i + 8, 8);
    out.emplace_back(type, value);
    if (type == 0) break;
  }
  return out;
}

std::optional<uint64_t> AuxvValue(const std::vector<uint8_t>& bytes, uint64_t type) {
  for (auto [t, v] : DecodeAuxv(bytes)) {
    if (t == type) return v;
  }
  return std::nullopt;
}

}  // namespace rwd
