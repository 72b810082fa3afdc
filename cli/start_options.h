// The options that say where a debugging session starts, which `rewind
// replay` (gdb) and `rewind debug` (the console) share: -p/--process,
// -f/--fork, --crash and -g/--goto (debugger/start_point.h).
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "debugger/start_point.h"

namespace rwd::cli {

// Holds what the options parse into: it must stay where AddStartOptions
// found it until the command line is parsed.
struct StartOptions {
  pid_t exec_pid = 0;
  pid_t fork_pid = 0;
  bool crash = false;
  std::string goto_target;
  CLI::Option* process = nullptr;
  CLI::Option* fork = nullptr;
  CLI::Option* crash_flag = nullptr;
  CLI::Option* goto_option = nullptr;

  std::vector<CLI::Option*> all() const { return {process, fork, crash_flag, goto_option}; }
  // After parsing: where to start.
  debugger::StartRequest Request() const;
};

// Declares the options (and which exclude each other) on `app`.
void AddStartOptions(CLI::App& app, StartOptions* options);

// Takes `session` to `start`, printing on stderr what the user should know
// there; false, having printed why, when it cannot get there.
bool GoToStart(const debugger::StartPoint& start, debugger::DebuggerSession& session);

}  // namespace rwd::cli
