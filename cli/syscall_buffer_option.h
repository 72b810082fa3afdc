// The syscall buffer setting `rewind record` and `rewind ci` share:
// --syscallbuf or --no-syscallbuf, else REWIND_SYSCALLBUF=1 or 0, else the
// default.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace rwd::cli {

struct SyscallBufferFlags {
  bool on = false;
  bool off = false;
};

// Declares --syscallbuf and --no-syscallbuf (which do not go together).
void AddSyscallBufferFlags(CLI::App& app, SyscallBufferFlags* flags);

// The library to preload, "" for none. `verbose`: say so when it is wanted
// but not built next to the rewind binary.
std::string ChosenSyscallBufferLibrary(const SyscallBufferFlags& flags, bool verbose);

}  // namespace rwd::cli
