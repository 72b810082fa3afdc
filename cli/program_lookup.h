// Finding the program a command line names, as a shell does before it runs
// one: `record PROG`, `ci -- COMMAND` and `replay --gdb PATH` refuse a
// program that cannot run before anything else happens, with the shell's
// words and exit statuses.
#pragma once

#include <string>

namespace rwd::cli {

struct ProgramLookup {
  bool found = false;
  // When not found: 127 (no such program) or 126 (there, but not
  // executable), and why, e.g. "command not found", "Permission denied".
  int exit_status = 0;
  std::string reason;
};

// A name with a slash is a path; any other is searched in $PATH.
ProgramLookup LookUpProgram(const std::string& name);

// For `record` and `ci`: prints "rewind: NAME: REASON" when the program
// cannot run and returns its shell exit status, else 0.
int RefuseUnrunnableProgram(const std::string& name);

}  // namespace rwd::cli
