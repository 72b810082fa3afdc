// The command line of every rewind command, parsed with CLI11: one help
// layout and one way to refuse a bad command line.
//
// A command builds a CommandLine, declares its options on app() (CLI11's
// add_option/add_flag, with the validators below for numbers) and calls
// Parse(). A refused command line prints, on stderr,
//
//   rewind replay: --serve: 'abc' is not a port number (0 to 65535)
//   Try 'rewind help replay' for more information.
//
// and the command exits with kExitUsage. CLI11 throws; nothing thrown
// leaves Parse().
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace rwd::cli {

class CommandLine {
 public:
  // `usage` follows "usage: rewind NAME ", e.g. "[options] [TRACE_DIR|FILE]";
  // `description` says what the command does (shown by --help).
  CommandLine(std::string name, std::string usage, std::string description);

  CLI::App& app() { return app_; }
  const std::string& name() const { return name_; }

  // The optional trace argument of replay, dump, ps and pack: a trace
  // directory or packed file; empty means the latest recording.
  void AddTraceArgument(std::string* trace);

  // Takes a program and its arguments after the options, as `record PROG
  // ARGS...` and `ci -- COMMAND ARGS...` do: options stop at the first
  // argument that is not one (or at "--"), and everything from there on is
  // the program's, its own options included. Parse() fills `command` and
  // refuses an empty one.
  void TakeCommand(std::vector<std::string>* command, const std::string& what);

  // Parses `args` (the words after the command's name). Returns nullopt when
  // the command should run; otherwise the status to exit with: 0 after
  // printing the help (-h, --help), kExitUsage after printing why the
  // command line is refused.
  std::optional<int> Parse(const Args& args);

  // Refuses the command line for a reason found after Parse() (options that
  // do not go together, a --gdb that cannot run). Returns kExitUsage.
  int Refuse(const std::string& message) const;

  // The help text, as --help prints it.
  std::string Help() const;

 private:
  std::string name_;
  CLI::App app_;
  std::vector<std::string>* command_ = nullptr;
  std::string command_what_;
};

// A decimal integer in [min, max], e.g. IntegerIn(0, 65535, "a port
// number"); anything else is refused as "'VALUE' is not WHAT (MIN to MAX)".
CLI::Validator IntegerIn(int64_t min, int64_t max, const std::string& what);

// A decimal number (digits, an optional fraction) in [min, max], e.g.
// DecimalIn(0, 86400, "a number of seconds").
CLI::Validator DecimalIn(double min, double max, const std::string& what);

// One of `choices`, e.g. --keep's failure, always or never.
CLI::Validator OneOf(const std::vector<std::string>& choices);

}  // namespace rwd::cli
