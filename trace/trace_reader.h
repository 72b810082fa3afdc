// TraceReader: reads a trace directory written by TraceWriter.
//
// Open() validates the header (magic, format version) and indexes the chunk
// frames without decompressing them. Events are decoded one chunk at a time.
// A trace whose last chunk is incomplete (recorder killed, disk full) opens
// fine: truncated() is true and the events end at the last complete chunk.
// A trace that finished (it has its `complete` marker) yet lacks events was
// damaged afterwards: corrupt() is true, and its events still read up to the
// last complete chunk.
// A chunk failing its checksum makes Next()/Seek() return kCorrupt naming the
// chunk and its byte offset. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "trace/event.h"
#include "trace/header.h"

namespace rwd::trace {

class TraceReader {
 public:
  static Expected<std::unique_ptr<TraceReader>> Open(const std::string& dir);
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  const TraceHeader& header() const;
  // True when the recording ended normally (Finish() was called).
  bool complete() const;
  // True when bytes after the last complete chunk were dropped.
  bool truncated() const;
  // True when the trace says it is complete but events are missing (it was
  // damaged after the recording): incompleteness() then says "corrupt".
  bool corrupt() const;
  // Human-readable reason when !complete(), e.g. "recording was cut short
  // after event 1234 (chunk 5 is incomplete)".
  std::string incompleteness() const;
  // Number of events in complete chunks.
  uint64_t event_count() const;

  // The next event, or nullopt at the end of the readable events.
  Expected<std::optional<Event>> Next();
  // Number of the event Next() returns.
  uint64_t position() const;
  // Positions the cursor so that Next() returns event `number`.
  Status Seek(uint64_t number);

  // Path of a plain, executable copy of the stored file `file_id`, unpacked
  // into the user's file cache (trace/file_cache.h) on first use.
  Expected<std::string> LocalFileCopy(const std::string& file_id);
  const std::string& dir() const;

 private:
  struct Impl;
  explicit TraceReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rwd::trace
