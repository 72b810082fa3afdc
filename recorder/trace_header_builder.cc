#include "recorder/trace_header_builder.h"

#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "arch/arch.h"
#include "core/host_cpu.h"

namespace rwd::recorder {

trace::TraceHeader BuildHeader(const std::string& exe_path, const std::vector<std::string>& argv,
                               const std::vector<std::string>& envp, int pinned_cpu,
                               arch::CpuidMask cpuid_mask) {
  trace::TraceHeader h;
  h.arch = std::string(arch::HostArch().name());
  h.cpu_model = CpuinfoField("model name");
  h.cpu_features = arch::HostArch().UsableCpuFeatures(CpuinfoField("flags"), cpuid_mask);
  h.cpuid_mask = std::string(arch::CpuidMaskName(cpuid_mask));
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
