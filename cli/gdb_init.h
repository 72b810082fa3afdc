// The gdb commands rewind gives every gdb it serves (as rr does with its
// gdbinit): `rewind replay` hands them to the gdb it starts, and
// `rewind gdbinit` prints them for a gdb started by hand (-x FILE).
#pragma once

#include <string>

#include "cli/commands.h"

namespace rwd::cli {

// gdb script text.
std::string GdbInitScript();

// `rewind gdbinit`: prints GdbInitScript() on stdout.
int GdbInitCommand(const Args& args);

}  // namespace rwd::cli
