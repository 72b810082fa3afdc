#include <cstdio>
#include <string>
#include <vector>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/trace_location.h"
#include "trace/process_tree.h"
#include "trace/trace_reader.h"

namespace rwd::cli {

int PsCommand(const Args& args) {
  CommandLine line("ps", "[TRACE_DIR|FILE]",
                   "Lists the processes a trace recorded: pid, parent pid, exit (the code, the\n"
                   "signal that killed it, or - when the trace does not say) and command.");
  std::string trace;
  line.AddTraceArgument(&trace);
  if (std::optional<int> done = line.Parse(args)) return *done;
  auto reader = OpenTrace(trace);
  if (!reader.ok()) {
    PrintError(reader.status().message());
    return kExitFailure;
  }
  auto processes = trace::ReadProcessTree(**reader);
  if (!processes.ok()) {
    PrintError(processes.status().message());
    return kExitFailure;
  }
  fputs(trace::FormatProcessTable(*processes).c_str(), stdout);
  if (!(*reader)->complete()) {
    fflush(stdout);
    PrintError("note: " + (*reader)->incompleteness());
  }
  return 0;
}

}  // namespace rwd::cli
