// ProcessDwfl: libdwfl over a live process's modules (the ELF files its
// mappings name, with their DWARF and separate debug files), as both the
// console's symbols (console/symbols.h) and crash reports' backtraces
// (cli/live_backtrace.h) read them.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "base/status.h"

struct Dwfl;

namespace rwd::console {

using DwflHandle = std::unique_ptr<Dwfl, void (*)(Dwfl*)>;

// A Dwfl with every module process `pid` has mapped now reported.
Expected<DwflHandle> ReportProcessModules(pid_t pid);

// A C++ symbol's readable name; other names as they are ("" for none).
std::string Demangle(const char* name);

}  // namespace rwd::console
