// Starting the user's gdb, already connected to our server.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace rwd::cli {

// Runs `gdb -q EXE -ex CONNECT_COMMAND EXTRA_ARGS...` in the foreground of
// the terminal, with rewind's gdbinit and `init_commands` run first.
// Returns gdb's pid.
Expected<pid_t> LaunchGdb(const std::string& gdb, const std::string& exe,
                          const std::string& connect_command,
                          const std::vector<std::string>& extra_args,
                          const std::string& init_commands);
// Waits until a connection is pending on `listen_fd` (nullopt) or gdb has
// exited (its exit status; it is reaped).
std::optional<int> WaitForConnection(int listen_fd, pid_t gdb);
// Waits for gdb and returns its exit status.
int WaitForGdb(pid_t pid);

}  // namespace rwd::cli
