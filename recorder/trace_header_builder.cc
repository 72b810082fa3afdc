#include "recorder/trace_header_builder.h"

#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <fstream>

#include "arch/arch.h"

namespace rwd::recorder {

namespace {

// First value of `key` in /proc/cpuinfo ("model name", "flags").
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

}  // namespace

trace::TraceHeader BuildHeader(const std::string& exe_path, const std::vector<std::string>& argv,
                               const std::vector<std::string>& envp, int pinned_cpu) {
  trace::TraceHeader h;
  h.arch = std::string(arch::HostArch().name());
  h.cpu_model = CpuinfoField("model name");
  h.cpu_features = CpuinfoField("flags");
  utsname u{};
  if (uname(&u) == 0) h.kernel = u.release;
  h.exe_path = exe_path;
  h.argv = argv;
  h.envp = envp;
  char cwd[4096];
  if (getcwd(cwd, sizeof(cwd))) h.cwd = cwd;
  h.pinned_cpu = pinned_cpu;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  h.start_time_ns = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
  return h;
}

}  // namespace rwd::recorder
