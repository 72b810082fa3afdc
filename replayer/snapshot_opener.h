// SnapshotOpener: finds, among the snapshots the recorder kept in a trace,
// the one to start a replay from (the latest in a range of events) and
// opens an execution there (ReplaySession::OpenAtSnapshot), from every
// snapshot of that event (one per process then alive). A snapshot that
// cannot be used (damaged, cut short, or holding what restoring does not
// support) is reported once on stderr and skipped: the next earlier one is
// tried, and with none left the caller re-executes as it would without.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "replayer/execution.h"
#include "replayer/replay_session.h"
#include "trace/snapshot_store.h"

namespace rwd::replayer {

// A snapshot the program named (rewind_checkpoint): a point replay can
// return to by name.
struct TraceBookmark {
  std::string name;
  uint64_t event = 0;  // the snapshot's: events replayed there
  int32_t pid = 0;     // recorded
  uint32_t seq = 0;
};

struct SnapshotOpenStats {
  uint64_t opened = 0;
  uint64_t refused = 0;
};

class SnapshotOpener {
 public:
  explicit SnapshotOpener(ReplayOptions options);

  // An execution at the latest usable snapshot whose event is in
  // (after, upto], or nullptr when there is none.
  Expected<std::unique_ptr<Execution>> OpenLatest(uint64_t after, uint64_t upto);
  // The named snapshots, in the order recorded.
  Expected<std::vector<TraceBookmark>> Bookmarks();
  const SnapshotOpenStats& stats() const { return stats_; }

 private:
  // Lists the trace's snapshots, saying which files cannot be read.
  Status ReadHeaders();
  // The set of snapshots `seqs` (those of one event).
  Expected<std::unique_ptr<ReplaySession>> Open(const std::vector<uint32_t>& seqs);

  ReplayOptions options_;
  trace::SnapshotLibrary library_;
  // Read once: the recording is over, its snapshots do not change. Latest
  // first.
  std::optional<std::vector<trace::SnapshotHeader>> headers_;
  std::vector<TraceBookmark> bookmarks_;  // in sequence order
  std::set<uint64_t> unusable_;           // events whose set cannot be restored
  SnapshotOpenStats stats_;
};

}  // namespace rwd::replayer
