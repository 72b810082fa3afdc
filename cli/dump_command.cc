#include <cstdint>
#include <cstdio>
#include <map>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/trace_location.h"
#include "trace/event_format.h"
#include "trace/snapshot_store.h"
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
  // Where replay can start: the snapshots, shown where they were taken
  // (before the event they precede), with the names the program gave them.
  std::multimap<uint64_t, trace::SnapshotListing> snapshots;
  if (auto listed = trace::ListSnapshots((*reader)->dir()); listed.ok()) {
    for (trace::SnapshotListing& l : *listed) {
      if (l.header.ok()) snapshots.emplace(l.header->event, std::move(l));
    }
  }
  auto show_snapshots = [&](uint64_t upto) {
    while (!snapshots.empty() && snapshots.begin()->first <= upto) {
      const trace::SnapshotListing& l = snapshots.begin()->second;
      printf("  snapshot %u of process %d%s\n", l.header->seq, l.pid,
             l.name.empty() ? "" : (", named '" + l.name + "'").c_str());
      snapshots.erase(snapshots.begin());
    }
  };
  uint64_t n = 0;
  while (true) {
    auto ev = (*reader)->Next();
    if (!ev.ok()) {
      fflush(stdout);
      PrintError(ev.status().message());
      return kExitFailure;
    }
    if (!*ev) break;
    show_snapshots(n);
    printf("#%llu %s\n", static_cast<unsigned long long>(n++),
           trace::DescribeEvent(*arch, **ev).c_str());
  }
  show_snapshots(UINT64_MAX);
  if (!(*reader)->complete()) {
    fflush(stdout);
    PrintError("note: " + (*reader)->incompleteness());
  }
  return 0;
}

}  // namespace rwd::cli
