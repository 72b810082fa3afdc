// The snapshot setting `rewind record` and `rewind ci` share:
// --snapshot-interval SECONDS, 0 for none, with one default for both.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <string>

namespace rwd::cli {

struct SnapshotIntervalOption {
  std::string seconds;  // as given, validated by the parser
};

// Declares --snapshot-interval with the default.
void AddSnapshotIntervalOption(CLI::App& app, SnapshotIntervalOption* option);

// The interval asked for (0: no snapshots).
std::chrono::milliseconds ChosenSnapshotInterval(const SnapshotIntervalOption& option);

}  // namespace rwd::cli
