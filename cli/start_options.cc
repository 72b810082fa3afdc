#include "cli/start_options.h"

#include <algorithm>
#include <cstdio>

#include "cli/command_line.h"
#include "cli/commands.h"

namespace rwd::cli {

namespace {

bool AllDigits(const std::string& value) {
  return !value.empty() &&
         std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void AddStartOptions(CLI::App& app, StartOptions* o) {
  o->process = app.add_option("-p,--process", o->exec_pid,
                              "debug process PID of the recorded tree (see\n"
                              "'rewind ps'), from its first exec");
  o->process->type_name("PID")->check(IntegerIn(1, INT32_MAX, "a process id"));
  o->fork = app.add_option("-f,--fork", o->fork_pid,
                           "debug process PID from its creation (fork), not\n"
                           "from its first exec as -p does");
  o->fork->type_name("PID")->check(IntegerIn(1, INT32_MAX, "a process id"));
  o->crash_flag = app.add_flag("--crash", o->crash,
                               "debug the process that crashed, stopped at the\n"
                               "fatal signal (bt, watch -l, reverse-continue);\n"
                               "it picks the process, so no -p or -f");
  o->goto_option = app.add_option("-g,--goto", o->goto_target,
                                  "start where EVENT events have been replayed (as\n"
                                  "'rewind dump' and 'monitor when' number them), or\n"
                                  "where the program called rewind_checkpoint(NAME),\n"
                                  "with the history before it to go back into");
  o->goto_option->type_name("EVENT|NAME")
      ->check(CLI::Validator(
          [](std::string& value) {
            if (AllDigits(value) ? value.size() > 18 : (value.empty() || value[0] == '-')) {
              return "'" + value + "' is not an event number (0 or more) or a checkpoint's name";
            }
            return std::string();
          },
          ""));
  o->process->excludes(o->fork);
  o->crash_flag->excludes(o->process)->excludes(o->fork);
}

debugger::StartRequest StartOptions::Request() const {
  debugger::StartRequest request;
  request.crash = crash;
  if (goto_option->count() > 0) {
    // The validator let through digits (an event) or a name.
    if (AllDigits(goto_target)) {
      request.event = std::stoull(goto_target);
    } else {
      request.checkpoint_name = goto_target;
    }
  }
  if (process->count() > 0) request.process = exec_pid;
  if (fork->count() > 0) {
    request.process = fork_pid;
    request.from_fork = true;
  }
  return request;
}

bool GoToStart(const debugger::StartPoint& start, debugger::DebuggerSession& session) {
  Expected<std::string> there = start.GoThere(session);
  if (!there.ok()) {
    PrintError(there.status().message());
    return false;
  }
  if (!there->empty()) {
    fflush(stdout);
    PrintError(*there);
  }
  return true;
}

}  // namespace rwd::cli
