// The interactive time-travel console of `rewind debug`: reads commands
// (console/line_reader.h), runs them against a DebuggerSession
// (console/command_table.h) and prints what they show. Errors of a command
// are printed and the session goes on; only `quit` and the end of input
// end it.
#pragma once

#include <string>

#include "debugger/debugger_session.h"

namespace rwd::console {

struct ConsoleOptions {
  // Commands to run first, one per line (-x FILE); empty for none.
  std::string script;
  // readline's history file when stdin is a terminal; empty for none.
  std::string history_file;
};

// Runs the session; returns the exit status: 0 at quit or end of input, 1
// when the script cannot be read.
int RunConsole(debugger::DebuggerSession& session, const ConsoleOptions& options);

}  // namespace rwd::console
