#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/trace_location.h"
#include "trace/process_tree.h"
#include "trace/trace_reader.h"

namespace rwd::cli {

namespace {

constexpr const char* kPsUsage =
    "usage: rewind ps [TRACE_DIR]\n"
    "Lists the processes a trace recorded: pid, parent pid, exit (the code, the\n"
    "signal that killed it, or - when the trace does not say) and command.\n";

}  // namespace

int PsCommand(const Args& args) {
  std::vector<std::string> traces;
  for (const std::string& a : args) {
    if (a == "-h" || a == "--help") {
      fputs(kPsUsage, stdout);
      return 0;
    }
    if (!a.empty() && a[0] == '-') {
      PrintError("unknown ps option '" + a + "'");
      fputs(kPsUsage, stderr);
      return kExitUsage;
    }
    traces.push_back(a);
  }
  if (traces.size() > 1) {
    PrintError("ps takes one trace, not " + std::to_string(traces.size()));
    fputs(kPsUsage, stderr);
    return kExitUsage;
  }
  std::string trace = traces.empty() ? "" : traces[0];
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
