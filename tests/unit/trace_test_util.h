// Helpers shared by the trace unit tests: a scratch directory that removes
// itself, whole-file byte access, sample events of every kind, and whole
// synthetic traces.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/event.h"
#include "trace/header.h"

namespace rwd::trace::testing {

// A fresh directory under /tmp, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::vector<uint8_t> ReadBytes(const std::string& path);
void WriteBytes(const std::string& path, const std::vector<uint8_t>& bytes);
void WriteText(const std::string& path, const std::string& text);

TraceHeader SampleHeader();
// One event of each kind, in EventBody order.
std::vector<Event> SampleEvents();
// A syscall event whose number and memory write depend on `i`, so tests can
// tell events apart; `payload_bytes` sizes the write.
Event NumberedEvent(uint64_t i, size_t payload_bytes = 16);

// Writes a trace of `events` at `dir`, a new directory. Unless `finish`, the
// recording looks cut short: all events are there but it did not end
// normally (no `complete` marker).
void WriteTrace(const std::string& dir, const TraceHeader& header, const std::vector<Event>& events,
                bool finish = true);

}  // namespace rwd::trace::testing
