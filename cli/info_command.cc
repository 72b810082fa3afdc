// rewind info: what a trace holds, in a few lines: the program, its events,
// and the snapshots replay can start from.
#include <cstdio>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/trace_location.h"
#include "trace/snapshot_store.h"
#include "trace/trace_reader.h"

namespace rwd::cli {

namespace {

std::string Millis(uint32_t us) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.2f ms", us / 1000.0);
  return buf;
}

}  // namespace

int InfoCommand(const Args& args) {
  CommandLine line("info", "[TRACE_DIR|FILE]",
                   "Prints what a trace holds: the program, its events, and its snapshots\n"
                   "(the event each was taken after, its size, and how long the program\n"
                   "stopped for it).");
  std::string trace;
  line.AddTraceArgument(&trace);
  if (std::optional<int> done = line.Parse(args)) return *done;
  auto reader = OpenTrace(trace);
  if (!reader.ok()) {
    PrintError(reader.status().message());
    return kExitFailure;
  }
  const trace::TraceHeader& h = (*reader)->header();
  printf("trace      %s\n", (*reader)->dir().c_str());
  printf("command   ");
  for (const std::string& a : h.argv) printf(" %s", a.c_str());
  printf("\nformat     %u, %s\n", h.format_version, h.arch.c_str());
  printf("cpuid      %s\n", h.cpuid_mask.c_str());
  printf("events     %llu%s\n", static_cast<unsigned long long>((*reader)->event_count()),
         (*reader)->complete() ? "" : (" (" + (*reader)->incompleteness() + ")").c_str());
  auto snapshots = trace::ListSnapshots((*reader)->dir());
  if (!snapshots.ok()) {
    fflush(stdout);
    PrintError(snapshots.status().message());
    return kExitFailure;
  }
  uint64_t total = 0;
  for (const trace::SnapshotListing& s : *snapshots) total += s.bytes;
  printf("snapshots  %zu, %llu bytes\n", snapshots->size(), static_cast<unsigned long long>(total));
  if (!snapshots->empty()) {
    printf("  %-6s %-12s %-8s %-7s %12s %12s %10s %10s  %s\n", "seq", "event", "process", "threads",
           "bytes", "new pages", "stop", "fork", "name");
    for (const trace::SnapshotListing& s : *snapshots) {
      if (!s.header.ok()) {
        printf("  %s: unreadable: %s\n", s.path.c_str(), s.header.status().message().c_str());
        continue;
      }
      const trace::SnapshotHeader& sh = *s.header;
      // The snapshots of one event are one set, one per process then alive.
      printf("  %-6u %-12llu %-8d %-7u %12llu %12u %10s %10s%s\n", sh.seq,
             static_cast<unsigned long long>(sh.event), s.pid, s.threads,
             static_cast<unsigned long long>(s.bytes), sh.stored_pages, Millis(sh.stop_us).c_str(),
             Millis(sh.fork_us).c_str(), s.name.empty() ? "" : ("  " + s.name).c_str());
    }
  }
  // Intervals the recorder could not take one in, and why (absent in
  // traces of versions that did not count them).
  Expected<trace::SnapshotSkips> skips = trace::ReadSnapshotSkips((*reader)->dir());
  if (!skips.ok()) {
    printf("skipped    unreadable: %s\n", skips.status().message().c_str());
  } else if (!skips->empty()) {
    uint64_t skipped = 0;
    for (const auto& [why, count] : *skips) skipped += count;
    printf("skipped    %llu intervals without a snapshot\n",
           static_cast<unsigned long long>(skipped));
    for (const auto& [why, count] : *skips) {
      printf("  %-6llu %s\n", static_cast<unsigned long long>(count), why.c_str());
    }
  }
  return 0;
}

}  // namespace rwd::cli
