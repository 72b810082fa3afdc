// Builds the TraceHeader describing this machine and the recorded command.
#pragma once

#include <string>
#include <vector>

#include "trace/header.h"

namespace rwd::recorder {

trace::TraceHeader BuildHeader(const std::string& exe_path, const std::vector<std::string>& argv,
                               const std::vector<std::string>& envp, int pinned_cpu);

}  // namespace rwd::recorder
