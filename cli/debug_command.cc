#include <cstdio>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/start_options.h"
#include "cli/trace_location.h"
#include "console/console.h"
#include "console/line_reader.h"
#include "debugger/debugger_session.h"
#include "debugger/start_point.h"
#include "replayer/timeline.h"

namespace rwd::cli {

int DebugCommand(const Args& args) {
  CommandLine line("debug", "[options] [TRACE_DIR|FILE]",
                   "Debugs a trace in rewind's own time-travel console, without gdb:\n"
                   "breakpoints, watchpoints, stepping forward and backward, bt, disas,\n"
                   "registers, memory, threads, checkpoints. Commands come from the\n"
                   "terminal (readline, history, completion) or stdin, one per line;\n"
                   "'help' lists them. -p, -f, --crash and -g choose where it starts,\n"
                   "as for 'rewind replay'.");
  std::string trace, script;
  line.app()
      .add_option("-x,--script", script, "run the commands in FILE first")
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  StartOptions start;
  AddStartOptions(line.app(), &start);
  line.AddTraceArgument(&trace);
  if (std::optional<int> done = line.Parse(args)) return *done;
  auto dir = ResolveTraceDir(trace);
  if (!dir.ok()) {
    PrintError(dir.status().message());
    return kExitFailure;
  }
  replayer::TimelineOptions options;
  options.replay.trace_dir = *dir;
  auto start_point = debugger::StartPoint::Choose(*dir, start.Request(), &options);
  if (!start_point.ok()) {
    PrintError(start_point.status().message());
    return kExitFailure;
  }
  // The exit is the end of history, as in gdb: reverse commands go on from it.
  options.replay.keep_focus_at_exit = true;
  auto timeline = replayer::Timeline::Open(options);
  if (!timeline.ok()) {
    PrintError(timeline.status().message());
    return kExitFailure;
  }
  debugger::DebuggerSession session(**timeline, (*timeline)->live().recorded_pid());
  if (!GoToStart(*start_point, session)) return kExitFailure;
  console::ConsoleOptions console_options;
  console_options.script = script;
  console_options.history_file = console::DefaultHistoryFile();
  return console::RunConsole(session, console_options);
}

}  // namespace rwd::cli
