#include "core/proc_signal_masks.h"

#include <fstream>
#include <string>

namespace rwd {

uint64_t ProcSignalMask(pid_t tid, std::string_view field) {
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 &&
        line[field.size()] == ':') {
      return std::stoull(line.substr(field.size() + 1), nullptr, 16);
    }
  }
  return 0;
}

}  // namespace rwd
