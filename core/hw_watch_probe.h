// Whether this machine's hardware watchpoints actually trigger.
//
// Some virtual machines accept debug-register writes and never deliver the
// trap (an x86-64 Firecracker VM on AMD EPYC: setting DR7 succeeds, a
// watched write runs on silently, even under native gdb). Asking the
// hardware is the only way to know: a forked child, traced by us, writes a
// word we watch. The answer is computed once per process and cached.
//
// REWIND_SOFTWARE_WATCHPOINTS=1 in the environment answers false without
// probing, so the replayer's software watchpoints can be exercised on
// machines whose debug registers work.
#pragma once

namespace rwd {

bool HardwareWatchpointsTrigger();

// True when the environment forces software watchpoints.
bool SoftwareWatchpointsForced();

}  // namespace rwd
