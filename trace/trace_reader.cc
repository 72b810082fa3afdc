#include "trace/trace_reader.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <limits>
#include <vector>

#include "trace/chunk_index.h"
#include "trace/file_cache.h"
#include "trace/file_io.h"
#include "trace/header_file.h"
#include "trace/layout.h"

namespace rwd::trace {

namespace {

constexpr size_t kNoChunk = std::numeric_limits<size_t>::max();

// The event count the `complete` marker records, if it is there and legible.
struct EndMarker {
  bool present = false;
  std::optional<uint64_t> event_count;
};

EndMarker ReadEndMarker(const std::string& dir) {
  auto bytes = ReadWholeFile(dir + "/" + kCompleteFileName);
  if (!bytes.ok()) return {};
  EndMarker marker;
  marker.present = true;
  uint64_t count = 0;
  const char* begin = reinterpret_cast<const char*>(bytes->data());
  auto [end, err] = std::from_chars(begin, begin + bytes->size(), count);
  if (err == std::errc() && end != begin) marker.event_count = count;
  return marker;
}

Status CheckTraceDirectory(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return Status(ErrorCode::kNotFound, "no trace at " + dir);
    return ErrnoError("looking for a trace at " + dir);
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status(ErrorCode::kNotFound,
                  "not a rewind trace: " + dir + " is not a directory");
  }
  return Status::Ok();
}

}  // namespace

struct TraceReader::Impl {
  std::string dir;
  std::string events_path;
  TraceHeader header;
  ScopedFd events_fd;
  ChunkIndex index;
  bool complete = false;
  bool corrupt = false;
  std::string incompleteness;
  std::unique_ptr<FileCache> files;
  uint64_t position = 0;
  // The one decoded chunk kept in memory.
  size_t cached_chunk = kNoChunk;
  std::vector<Event> cached_events;

  void DescribeCompleteness(const EndMarker& marker);
  Status LoadChunkHolding(uint64_t number);
};

void TraceReader::Impl::DescribeCompleteness(const EndMarker& marker) {
  std::string events_end = "events end at " + std::to_string(index.event_count);
  if (marker.present && (index.truncated || (marker.event_count &&
                                             *marker.event_count != index.event_count))) {
    // The recording finished and said so: whatever is missing was lost
    // afterwards (a bad copy, a damaged disk), not cut short by the recorder.
    corrupt = true;
    incompleteness = "the trace is corrupt: the recording finished";
    if (marker.event_count) incompleteness += " with " + std::to_string(*marker.event_count) + " events";
    incompleteness += " but its " + events_end;
    if (index.truncated) {
      incompleteness += ", followed by an incomplete chunk at byte offset " +
                        std::to_string(index.truncated_offset);
    }
  } else if (index.truncated) {
    incompleteness = "recording was cut short: " + events_end +
                     "; the trace has an incomplete chunk at byte offset " +
                     std::to_string(index.truncated_offset);
  } else if (!marker.present) {
    // The recorder was killed, or stopped on an error, before finishing.
    incompleteness = "recording was cut short (it did not finish normally); " + events_end;
  } else {
    complete = true;
  }
}

Status TraceReader::Impl::LoadChunkHolding(uint64_t number) {
  size_t chunk = index.ChunkOf(number);
  if (chunk == cached_chunk) return Status::Ok();
  ASSIGN_OR_RETURN(cached_events,
                   LoadChunk(events_fd.get(), events_path, index, chunk));
  cached_chunk = chunk;
  return Status::Ok();
}

Expected<std::unique_ptr<TraceReader>> TraceReader::Open(
    const std::string& dir) {
  RETURN_IF_ERROR(CheckTraceDirectory(dir));
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->events_path = dir + "/" + kEventsFileName;
  ASSIGN_OR_RETURN(impl->header, ReadHeaderFile(dir));
  auto events = OpenFile(impl->events_path, O_RDONLY);
  if (!events.ok()) {
    if (events.status().code() != ErrorCode::kNotFound) return events.status();
    return Status(ErrorCode::kCorrupt, "trace " + dir + " has no events file");
  }
  impl->events_fd = std::move(*events);
  ASSIGN_OR_RETURN(impl->index,
                   BuildChunkIndex(impl->events_fd.get(), impl->events_path));
  impl->DescribeCompleteness(ReadEndMarker(dir));
  impl->files = std::make_unique<FileCache>(dir + "/" + kFilesDirName, FileCache::DefaultDir());
  return std::unique_ptr<TraceReader>(new TraceReader(std::move(impl)));
}

TraceReader::TraceReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TraceReader::~TraceReader() = default;

const TraceHeader& TraceReader::header() const { return impl_->header; }
bool TraceReader::complete() const { return impl_->complete; }
bool TraceReader::truncated() const { return impl_->index.truncated; }
bool TraceReader::corrupt() const { return impl_->corrupt; }
std::string TraceReader::incompleteness() const {
  return impl_->incompleteness;
}
uint64_t TraceReader::event_count() const { return impl_->index.event_count; }
uint64_t TraceReader::position() const { return impl_->position; }
const std::string& TraceReader::dir() const { return impl_->dir; }

Expected<std::string> TraceReader::LocalFileCopy(const std::string& file_id) {
  return impl_->files->LocalCopy(file_id);
}

Expected<std::optional<Event>> TraceReader::Next() {
  Impl& r = *impl_;
  if (r.position >= r.index.event_count) return std::optional<Event>();
  RETURN_IF_ERROR(r.LoadChunkHolding(r.position));
  uint64_t first = r.index.chunks[r.cached_chunk].frame.first_event;
  std::optional<Event> event = r.cached_events[r.position - first];
  ++r.position;
  return event;
}

Status TraceReader::Seek(uint64_t number) {
  Impl& r = *impl_;
  if (number > r.index.event_count) {
    return Status(ErrorCode::kInvalidInput,
                  "cannot seek to event " + std::to_string(number) +
                      ": trace " + r.dir + " has " +
                      std::to_string(r.index.event_count) + " readable events");
  }
  if (number < r.index.event_count) RETURN_IF_ERROR(r.LoadChunkHolding(number));
  r.position = number;
  return Status::Ok();
}

}  // namespace rwd::trace
