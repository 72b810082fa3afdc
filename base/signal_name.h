// SignalName: how rewind names a signal in messages, traces' descriptions
// and reports; and which signals are crashes.
#pragma once

#include <string>

namespace rwd {

// "SIGSEGV", or "signal 40" for a number without a name.
std::string SignalName(int signo);
// SIGSEGV, SIGABRT, ...: signals whose default action dumps core (a crash).
bool IsCoreDumpSignal(int signo);

}  // namespace rwd
