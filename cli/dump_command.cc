#include <cstdio>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/trace_location.h"
#include "trace/event_format.h"
#include "trace/trace_reader.h"

namespace rwd::cli {

int DumpCommand(const Args& args) {
  CommandLine line("dump", "[TRACE_DIR|FILE]", "Prints a trace's header and every event.");
  std::string trace;
  line.AddTraceArgument(&trace);
  if (std::optional<int> done = line.Parse(args)) return *done;
  auto reader = OpenTrace(trace);
  if (!reader.ok()) {
    PrintError(reader.status().message());
    return kExitFailure;
  }
  const trace::TraceHeader& h = (*reader)->header();
  const arch::Arch* arch = arch::ArchByName(h.arch);
  if (!arch) {
    PrintError("trace architecture '" + h.arch + "' is unknown to this rewind");
    return kExitFailure;
  }
  printf(
      "trace %s\n  format %u, %s, kernel %s\n  cpu %s\n  cpuid mask %s\n  cpu features %s\n"
      "  command:",
      (*reader)->dir().c_str(), h.format_version, h.arch.c_str(), h.kernel.c_str(),
      h.cpu_model.c_str(), h.cpuid_mask.c_str(), h.cpu_features.c_str());
  for (const std::string& a : h.argv) printf(" %s", a.c_str());
  printf("\n  cwd %s\n  events %llu\n", h.cwd.c_str(),
         static_cast<unsigned long long>((*reader)->event_count()));
  uint64_t n = 0;
  while (true) {
    auto ev = (*reader)->Next();
    if (!ev.ok()) {
      fflush(stdout);
      PrintError(ev.status().message());
      return kExitFailure;
    }
    if (!*ev) break;
    printf("#%llu %s\n", static_cast<unsigned long long>(n++),
           trace::DescribeEvent(*arch, **ev).c_str());
  }
  if (!(*reader)->complete()) {
    fflush(stdout);
    PrintError("note: " + (*reader)->incompleteness());
  }
  return 0;
}

}  // namespace rwd::cli
