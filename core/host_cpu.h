// What this machine's CPU is, as the kernel describes it in /proc/cpuinfo:
// for a trace's header when recording, and to check a trace's needs before
// replaying it.
#pragma once

#include <string>

#include "arch/arch.h"
#include "base/status.h"

namespace rwd {

// The first value of `key` in /proc/cpuinfo ("model name", "flags"); "" when
// there is none.
std::string CpuinfoField(const std::string& key);

// The instruction sets this machine has, as Arch::UsableCpuFeatures lists
// them for a native recording.
std::string HostCpuFeatures(const arch::Arch& arch);

// kUnsupported, naming them, when `recorded_features` (a trace header's
// cpu_features, recorded under `mask`) lists instruction sets missing from
// `host_features` (HostCpuFeatures): a replay here could execute
// instructions this CPU lacks.
Status CheckCpuFeatures(const arch::Arch& arch, const std::string& recorded_features,
                        arch::CpuidMask mask, const std::string& host_features);

}  // namespace rwd
