// TraceWriter: creates a trace directory and appends to it.
//
// Layout of a trace directory:
//   header          magic "RWNDTRC\0", u32 format version, serialized TraceHeader
//   events          a sequence of chunks; each chunk is a fixed frame
//                   (magic, sizes, first event number, event count, checksum)
//                   followed by a zstd-compressed batch of serialized events
//   files/<id>      private copies of executed and mapped files, named by
//                   content hash; <id>.zst when compressed (file_store.h)
//   complete        written by Finish(): the recording ended normally
//
// The directory is 0700 and every file in it 0600 (layout.h). Events are
// buffered and a chunk is written when the buffer reaches
// kChunkBytes or Flush() is called, so a recorder killed mid-way loses at most
// the current chunk and the trace stays readable up to the last full chunk.
// Not thread-safe; one writer per trace.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "trace/event.h"
#include "trace/header.h"

namespace rwd::trace {

class TraceWriter {
 public:
  static constexpr size_t kChunkBytes = 1 << 20;

  static Expected<std::unique_ptr<TraceWriter>> Create(const std::string& dir,
                                                       const TraceHeader& header);
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  Status Append(const Event& event);
  // Writes the buffered events as a chunk (no-op when empty).
  Status Flush();
  // Flushes and marks the trace complete.
  Status Finish();

  // Stores the bytes of the file open at `fd` (any position; read with
  // pread) or, when fd < 0, at `path`; returns its content id. Repeated
  // calls for identical content store one copy. `path` is for messages.
  Expected<std::string> StoreFile(int fd, const std::string& path);
  // Lets a long StoreFile be stopped (it then fails with kCancelled) and
  // report progress (FileStore::Watcher).
  void WatchFileCopies(std::function<bool()> stop_requested,
                       std::function<void(const std::string&, uint64_t, uint64_t)> progress);
  // Shares compressed file copies with other recordings through the cache
  // at `dir` (trace/packed_file_cache.h): a file an earlier recording
  // stored is copied from there instead of compressed again.
  void UsePackedFileCache(std::string dir);

  uint64_t events_written() const;
  const std::string& dir() const;

 private:
  struct Impl;
  explicit TraceWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rwd::trace
