#include "core/host_cpu.h"

#include <fstream>
#include <set>
#include <sstream>

namespace rwd {

namespace {

std::set<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::set<std::string> words;
  for (std::string w; in >> w;) words.insert(w);
  return words;
}

}  // namespace

std::string CpuinfoField(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t start = line.find_first_not_of(' ', colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "";
}

std::string HostCpuFeatures(const arch::Arch& arch) {
  return arch.UsableCpuFeatures(CpuinfoField("flags"), arch::CpuidMask::kNative);
}

Status CheckCpuFeatures(const arch::Arch& arch, const std::string& recorded_features,
                        arch::CpuidMask mask, const std::string& host_features) {
  // Filtered again: traces of older rewinds list all of /proc/cpuinfo's
  // flags, the kernel's own among them.
  const std::string needed = arch.UsableCpuFeatures(recorded_features, mask);
  const std::set<std::string> here = Words(host_features);
  std::string missing;
  std::istringstream in(needed);
  for (std::string w; in >> w;) {
    if (here.contains(w)) continue;
    missing += (missing.empty() ? "" : " ") + w;
  }
  if (missing.empty()) return Status::Ok();
  std::string advice = mask == arch::CpuidMask::kBaseline
                           ? ""
                           : "; record with --cpuid-mask baseline ('rewind ci' does by "
                             "default) to replay on other machines";
  return Status(ErrorCode::kUnsupported,
                "this CPU lacks instruction sets the recorded program could use (" + missing +
                    "): its replay would stop at them with SIGILL" + advice);
}

}  // namespace rwd
