// rewind: record a program once, replay it deterministically, debug it
// backwards in time.
#include <cstdio>
#include <cstring>
#include <string>

#include "cli/commands.h"
#include "cli/gdb_init.h"

namespace {

constexpr const char* kUsage =
    "usage: rewind <command> [options]\n"
    "\n"
    "commands:\n"
    "  record [-o TRACE_DIR] PROG [ARGS...]   run PROG and record a trace\n"
    "  replay -a [TRACE_DIR|FILE]             replay a trace to its end, no debugger\n"
    "  replay --crash [TRACE_DIR|FILE]        debug the crash a trace recorded\n"
    "  ci [-o DIR] -- COMMAND [ARGS...]       record a test run, keep it if it fails\n"
    "  pack [-o FILE] [TRACE_DIR]             make a trace self-contained, or one file\n"
    "  ls                                     list the recorded traces\n"
    "  rm TRACE...                            delete traces\n"
    "  dump [TRACE_DIR]                       print a trace's events\n"
    "  ps [TRACE_DIR]                         list the processes a trace recorded\n"
    "  gdbinit                                the gdb commands rewind gives its gdb, for\n"
    "                                         a gdb you start yourself (gdb -x FILE)\n"
    "\n"
    "Without TRACE_DIR, the latest recording is used. Traces are kept under\n"
    "$XDG_DATA_HOME/rewind/traces (default ~/.local/share/rewind/traces).\n"
    "Run 'rewind <command> --help' for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
      !strcmp(argv[1], "help")) {
    fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? rwd::cli::kExitUsage : 0;
  }
  std::string command = argv[1];
  rwd::cli::Args args(argv + 2, argv + argc);
  if (command == "record") return rwd::cli::RecordCommand(args);
  if (command == "replay") return rwd::cli::ReplayCommand(args);
  if (command == "dump") return rwd::cli::DumpCommand(args);
  if (command == "ps") return rwd::cli::PsCommand(args);
  if (command == "ci") return rwd::cli::CiCommand(args);
  if (command == "pack") return rwd::cli::PackCommand(args);
  if (command == "ls") return rwd::cli::LsCommand(args);
  if (command == "rm") return rwd::cli::RmCommand(args);
  if (command == "gdbinit") return rwd::cli::GdbInitCommand();
  fprintf(stderr, "rewind: unknown command '%s'\n%s", command.c_str(), kUsage);
  return rwd::cli::kExitUsage;
}
