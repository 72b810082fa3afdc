#include "cli/snapshot_interval_option.h"

#include <cstdint>

#include "cli/command_line.h"

namespace rwd::cli {

namespace {

// Every second by default, measured with the syscall buffer on (the
// default) on this 2-vCPU machine under load from other work: recording
// snap_heap (20 rounds churning a 64 MiB heap, ~4 s), four interleaved
// runs each, took 3.65 s of CPU without snapshots, 3.76 s (+3%) with one
// every 2 s and 3.82 s (+4.7%) with one every 1 s; the fastest wall time
// was 4.10 s with none and with 1 s (the writer thread runs on the other
// CPU). bench/bench.py's rows agree within their noise (+-20% here):
// make -j2 6.4 s with snapshots every 1 s against 7.8 s without,
// python3 unittest 2.8 s against 2.9 s (its threads take none). A goto to
// the last event of an 11-14 s recording then takes ~0.6 s against
// ~12 s re-executing. Shorter recordings than the interval take none;
// every 0.5 s costs ~20% (measured before).
// `rewind ci` takes the same default: a CI run is the long recording they
// pay off in, and its artifact carries them to the machine that debugs it.
constexpr char kDefaultSnapshotSeconds[] = "1";

}  // namespace

void AddSnapshotIntervalOption(CLI::App& app, SnapshotIntervalOption* option) {
  option->seconds = kDefaultSnapshotSeconds;
  app.add_option("--snapshot-interval", option->seconds,
                 "recording time between snapshots of the program kept in the\n"
                 "trace (default 1, ~5% of a long recording's time; 0: none).\n"
                 "replay -g, monitor goto and reverse execution start from\n"
                 "them; 'rewind info' lists them")
      ->type_name("SECONDS")
      ->check(DecimalIn(0, 86400, "a number of seconds"));
}

std::chrono::milliseconds ChosenSnapshotInterval(const SnapshotIntervalOption& option) {
  const double seconds = std::stod(option.seconds);
  // Only 0 turns them off: a shorter interval than the clock's is its shortest.
  if (seconds > 0 && seconds < 0.001) return std::chrono::milliseconds(1);
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000 + 0.5));
}

}  // namespace rwd::cli
