// The `snapshots/` directory of a trace: one file per snapshot, named by its
// sequence number (000000, 000001, ...), in the format of
// trace/snapshot_codec.h. Optional and additive: a trace without the
// directory is read as before. Files are written under a temporary name and
// renamed, so a recording cut short keeps every snapshot it finished and no
// partial one.
//
// SnapshotLibrary reads them for replay: it lists the snapshots by their
// headers, decodes a snapshot on demand (checking it), and resolves each of
// its pages, which may live in earlier snapshots' files. A damaged file is
// reported with its name; the snapshots that do not depend on it stay usable.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "trace/snapshot_codec.h"

namespace rwd::trace {

// Writes snapshots/<seq> of the trace in `trace_dir`, creating the
// directory. `compressed_pages`: see EncodeSnapshotFile.
Status WriteSnapshot(const std::string& trace_dir, const Snapshot& snapshot,
                     std::span<const uint8_t> compressed_pages);

struct SnapshotListing {
  std::string path;
  uint64_t bytes = 0;  // of the file
  // The header, or why it cannot be read.
  Expected<SnapshotHeader> header = Status(ErrorCode::kNotFound, "not read");
  // From the description, when it reads (unchecked until the snapshot is
  // loaded): the name rewind_checkpoint gave it, the recorded process,
  // the processes of its set, the threads of its process.
  std::string name;
  int32_t pid = 0;
  uint32_t processes = 1;  // in the set taken at its event
  uint32_t threads = 0;
};

// Every snapshot file of the trace, by sequence number; empty without any.
Expected<std::vector<SnapshotListing>> ListSnapshots(const std::string& trace_dir);

class SnapshotLibrary {
 public:
  explicit SnapshotLibrary(std::string trace_dir) : dir_(std::move(trace_dir)) {}

  // Readable headers, by sequence number (unreadable files are left out;
  // Load() reports them).
  Expected<std::vector<SnapshotHeader>> Headers();
  // Decodes snapshot `seq` (cached).
  Expected<const DecodedSnapshot*> Load(uint32_t seq);
  // Calls `page(addr, bytes)` for every page `snapshot` names, with its
  // content (zero pages as 4096 zero bytes); stops at the first error.
  Status ForEachPage(const Snapshot& snapshot,
                     const std::function<Status(uint64_t, std::span<const uint8_t>)>& page);

 private:
  std::string dir_;
  std::map<uint32_t, std::unique_ptr<DecodedSnapshot>> loaded_;
};

std::string SnapshotPath(const std::string& trace_dir, uint32_t seq);

// snapshots/skipped: why intervals of the recording passed without a
// snapshot, as reason -> how many intervals. Optional: absent when none
// was skipped, and in traces of versions of rewind that did not count.
using SnapshotSkips = std::map<std::string, uint64_t>;
Status WriteSnapshotSkips(const std::string& trace_dir, const SnapshotSkips& skips);
// Empty when the file is absent.
Expected<SnapshotSkips> ReadSnapshotSkips(const std::string& trace_dir);

}  // namespace rwd::trace
