// Builds the TraceHeader describing this machine and the recorded command.
#pragma once

#include <string>
#include <vector>

#include "arch/arch.h"
#include "trace/header.h"

namespace rwd::recorder {

trace::TraceHeader BuildHeader(const std::string& exe_path, const std::vector<std::string>& argv,
                               const std::vector<std::string>& envp, int pinned_cpu,
                               arch::CpuidMask cpuid_mask);

}  // namespace rwd::recorder
