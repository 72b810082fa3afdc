// rewind: record a program once, replay it deterministically, debug it
// backwards in time.
#include <cstdio>
#include <string>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/gdb_init.h"
#include "trace/header.h"

namespace rwd::cli {

namespace {

constexpr const char* kUsage =
    "usage: rewind [--version] [--help] <command> [options]\n"
    "\n"
    "commands:\n"
    "  record [-o TRACE_DIR] PROG [ARGS...]   run PROG and record a trace\n"
    "  replay [TRACE_DIR|FILE] [-- GDB_ARGS]  debug a trace in gdb, backwards too\n"
    "  replay -a [TRACE_DIR|FILE]             replay a trace to its end, no debugger\n"
    "  replay --crash [TRACE_DIR|FILE]        debug the crash a trace recorded\n"
    "  debug [-x FILE] [TRACE_DIR|FILE]       debug a trace in rewind's own console\n"
    "  ci [-o DIR] -- COMMAND [ARGS...]       record a test run, keep it if it fails\n"
    "  pack [-o FILE] [TRACE_DIR]             make a trace self-contained, or one file\n"
    "  ls                                     list the recorded traces\n"
    "  rm TRACE...                            delete traces\n"
    "  dump [TRACE_DIR]                       print a trace's events\n"
    "  info [TRACE_DIR]                       what a trace holds: events, snapshots\n"
    "  ps [TRACE_DIR]                         list the processes a trace recorded\n"
    "  gdbinit                                the gdb commands rewind gives its gdb, for\n"
    "                                         a gdb you start yourself (gdb -x FILE)\n"
    "  help [COMMAND]                         this list, or a command's options\n"
    "\n"
    "Without TRACE_DIR, the latest recording is used. Traces are kept under\n"
    "$XDG_DATA_HOME/rewind/traces (default ~/.local/share/rewind/traces).\n"
    "Run 'rewind help <command>' for a command's options.\n";

int HelpCommand(const Args& args);

struct Command {
  const char* name;
  int (*run)(const Args& args);
};

constexpr Command kCommands[] = {
    {"record", RecordCommand}, {"replay", ReplayCommand}, {"debug", DebugCommand}, {"ci", CiCommand},
    {"pack", PackCommand},     {"ls", LsCommand},         {"rm", RmCommand},
    {"dump", DumpCommand},     {"info", InfoCommand},     {"ps", PsCommand},         {"gdbinit", GdbInitCommand},
    {"help", HelpCommand},
};

const Command* FindCommand(const std::string& name) {
  for (const Command& c : kCommands) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

int RefuseTopLevel(const std::string& message) {
  fprintf(stderr, "rewind: %s\nTry 'rewind help' for the list of commands.\n", message.c_str());
  return kExitUsage;
}

int HelpCommand(const Args& args) {
  CommandLine line("help", "[COMMAND]",
                   "Lists the commands, or prints the options of COMMAND (as\n"
                   "'rewind COMMAND --help' does).");
  std::string command;
  line.app().add_option("COMMAND", command, "a command, e.g. replay");
  if (std::optional<int> done = line.Parse(args)) return *done;
  if (command.empty()) {
    fputs(kUsage, stdout);
    return 0;
  }
  const Command* c = FindCommand(command);
  if (!c) return RefuseTopLevel("unknown command '" + command + "'");
  return c->run({"--help"});
}

}  // namespace

}  // namespace rwd::cli

int main(int argc, char** argv) {
  using namespace rwd::cli;
  // Only rewind's own options come before the command; the command parses
  // the rest.
  CLI::App app("", "rewind");
  app.set_help_flag("-h,--help");
  bool version = false;
  app.add_flag("--version", version);
  app.prefix_command();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    fputs(kUsage, stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    return RefuseTopLevel(e.what());
  }
  if (version) {
    printf("rewind %s (trace format %u)\n", REWIND_VERSION, rwd::trace::kFormatVersion);
    return 0;
  }
  Args rest = app.remaining();
  if (rest.empty()) {
    fputs(kUsage, stderr);
    return kExitUsage;
  }
  const std::string& name = rest[0];
  if (name.size() > 1 && name[0] == '-') return RefuseTopLevel("unknown option '" + name + "'");
  const Command* command = FindCommand(name);
  if (!command) return RefuseTopLevel("unknown command '" + name + "'");
  return command->run(Args(rest.begin() + 1, rest.end()));
}
