// The console's commands: one row per command (name, gdb's short forms,
// usage, one line of help, handler), so that a new command touches one
// place, and `help` and tab completion read the same table.
//
// Handlers live in motion_commands.cc (running and stepping, breakpoints,
// watchpoints), inspect_commands.cc (bt, disas, registers, memory, print)
// and history_commands.cc (time travel, threads, events, mappings).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "console/context.h"

namespace rwd::console {

using Handler = Status (*)(Context& cx, const std::string& args);

struct Command {
  std::string_view name;                  // "reverse-continue", "info registers"
  std::vector<std::string_view> aliases;  // "rc"
  std::string_view usage;                 // arguments, e.g. "LOCATION"
  std::string_view help;
  Handler handler = nullptr;
};

const std::vector<Command>& Commands();
// The command a line starts with, and the rest of the line; nullptr when
// it names none. Two-word names ("info registers") are matched first.
const Command* FindCommand(const std::string& line, std::string* args);
// The help for all commands, or for one.
std::string HelpText(const std::string& topic);

// The handlers, by file.
Status BreakCommand(Context& cx, const std::string& args);
Status DeleteCommand(Context& cx, const std::string& args);
Status WatchCommand(Context& cx, const std::string& args);
Status ContinueCommand(Context& cx, const std::string& args);
Status ReverseContinueCommand(Context& cx, const std::string& args);
Status StepCommand(Context& cx, const std::string& args);
Status NextCommand(Context& cx, const std::string& args);
Status FinishCommand(Context& cx, const std::string& args);
Status StepiCommand(Context& cx, const std::string& args);
Status ReverseStepiCommand(Context& cx, const std::string& args);
Status ReverseStepCommand(Context& cx, const std::string& args);
Status ReverseNextCommand(Context& cx, const std::string& args);
Status ReverseFinishCommand(Context& cx, const std::string& args);
Status InfoBreakpointsCommand(Context& cx, const std::string& args);
Status CatchSyscallCommand(Context& cx, const std::string& args);
// "syscall 'write' [1]", as the catch command and info breakpoints say it.
std::string DescribeCatchpoint(Context& cx, const debugger::Catchpoint& c);

Status BacktraceCommand(Context& cx, const std::string& args);
Status DisasCommand(Context& cx, const std::string& args);
Status InfoRegistersCommand(Context& cx, const std::string& args);
Status ExamineCommand(Context& cx, const std::string& args);
Status PrintCommand(Context& cx, const std::string& args);

Status WhenCommand(Context& cx, const std::string& args);
Status GotoCommand(Context& cx, const std::string& args);
Status CheckpointCommand(Context& cx, const std::string& args);
Status CheckpointsCommand(Context& cx, const std::string& args);
Status RestartCommand(Context& cx, const std::string& args);
Status InfoThreadsCommand(Context& cx, const std::string& args);
Status ThreadCommand(Context& cx, const std::string& args);
Status EventsCommand(Context& cx, const std::string& args);
Status InfoMappingsCommand(Context& cx, const std::string& args);

}  // namespace rwd::console
