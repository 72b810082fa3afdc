// SignalName: how rewind names a signal in messages, traces' descriptions
// and reports.
#pragma once

#include <string>

namespace rwd {

// "SIGSEGV", or "signal 40" for a number without a name.
std::string SignalName(int signo);

}  // namespace rwd
