#include "trace/trace_writer.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

#include "trace/byte_codec.h"
#include "trace/chunk.h"
#include "trace/event_codec.h"
#include "trace/file_io.h"
#include "trace/file_store.h"
#include "trace/header_file.h"
#include "trace/layout.h"

namespace rwd::trace {

struct TraceWriter::Impl {
  Impl(std::string d, ScopedFd fd)
      : dir(std::move(d)),
        events_path(dir + "/" + kEventsFileName),
        events_fd(std::move(fd)),
        files(dir + "/" + kFilesDirName) {}

  std::string dir;
  std::string events_path;
  ScopedFd events_fd;
  FileStore files;
  ByteWriter buffer;  // serialized events not yet in a chunk
  uint64_t events_appended = 0;
  uint64_t first_buffered = 0;  // number of the first event in `buffer`
  uint32_t buffered_count = 0;
  // Once a chunk failed to write, the events file may end in a partial
  // chunk; appending after it would bury good chunks behind garbage.
  Status failure;
  bool finished = false;
};

namespace {

// Creates `path` (or takes an existing directory) and makes it private.
Status MakeDirectory(const std::string& path) {
  if (::mkdir(path.c_str(), kTraceDirMode) == 0) return Status::Ok();
  int err = errno;
  struct stat st;
  if (err == EEXIST && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    if ((st.st_mode & 07777) != kTraceDirMode && ::chmod(path.c_str(), kTraceDirMode) != 0) {
      return ErrnoError("making " + path + " private");
    }
    return Status::Ok();
  }
  return SystemError("creating directory " + path, err);
}

}  // namespace

Expected<std::unique_ptr<TraceWriter>> TraceWriter::Create(
    const std::string& dir, const TraceHeader& header) {
  RETURN_IF_ERROR(MakeDirectory(dir));
  if (PathExists(dir + "/" + kHeaderFileName)) {
    return Status(ErrorCode::kInvalidInput,
                  "cannot record into " + dir + ": it already holds a trace");
  }
  RETURN_IF_ERROR(MakeDirectory(dir + "/" + kFilesDirName));
  RETURN_IF_ERROR(WriteHeaderFile(dir, header));
  ASSIGN_OR_RETURN(ScopedFd events,
                   OpenFile(dir + "/" + kEventsFileName,
                            O_WRONLY | O_CREAT | O_EXCL | O_APPEND, kTraceFileMode));
  return std::unique_ptr<TraceWriter>(
      new TraceWriter(std::make_unique<Impl>(dir, std::move(events))));
}

TraceWriter::TraceWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

// An unfinished writer still saves what it buffered, so a recorder that
// stops on an error leaves every event it appended readable.
TraceWriter::~TraceWriter() {
  if (!impl_->finished) Flush().IgnoreError();
}

Status TraceWriter::Append(const Event& event) {
  Impl& w = *impl_;
  if (w.finished) {
    return Status(ErrorCode::kInvalidInput,
                  "trace " + w.dir + " is finished; cannot append");
  }
  RETURN_IF_ERROR(w.failure);
  size_t before = w.buffer.size();
  EncodeEvent(event, &w.buffer);
  // The buffer held under kChunkBytes before, so only a giant event can push
  // a chunk over the format's limit.
  if (w.buffer.size() > kMaxChunkRawBytes) {
    size_t event_bytes = w.buffer.size() - before;
    w.buffer.Truncate(before);
    return Status(ErrorCode::kUnsupported,
                  "event " + std::to_string(w.events_appended) + " (" +
                      EventKindName(event.body) + ") serializes to " +
                      std::to_string(event_bytes) +
                      " bytes; a trace chunk holds at most " +
                      std::to_string(kMaxChunkRawBytes));
  }
  ++w.buffered_count;
  ++w.events_appended;
  if (w.buffer.size() >= kChunkBytes) return Flush();
  return Status::Ok();
}

Status TraceWriter::Flush() {
  Impl& w = *impl_;
  RETURN_IF_ERROR(w.failure);
  if (w.buffered_count == 0) return Status::Ok();
  auto chunk = BuildChunk(w.buffer.bytes(), w.first_buffered, w.buffered_count);
  Status status = chunk.ok()
                      ? WriteAll(w.events_fd.get(), *chunk, w.events_path)
                      : chunk.status();
  if (!status.ok()) {
    w.failure = Status(status.code(),
                       status.message() + " (the trace keeps events before " +
                           std::to_string(w.first_buffered) + ")");
    return w.failure;
  }
  w.buffer.Clear();
  w.first_buffered = w.events_appended;
  w.buffered_count = 0;
  return Status::Ok();
}

Status TraceWriter::Finish() {
  Impl& w = *impl_;
  if (w.finished) return Status::Ok();
  RETURN_IF_ERROR(Flush());
  std::string count = std::to_string(w.events_appended) + "\n";
  RETURN_IF_ERROR(WriteFileAtomically(
      w.dir + "/" + kCompleteFileName,
      {reinterpret_cast<const uint8_t*>(count.data()), count.size()}));
  w.finished = true;
  return Status::Ok();
}

Expected<std::string> TraceWriter::StoreFile(int fd, const std::string& path) {
  return impl_->files.Store(fd, path);
}

void TraceWriter::WatchFileCopies(
    std::function<bool()> stop_requested,
    std::function<void(const std::string&, uint64_t, uint64_t)> progress) {
  impl_->files.SetWatcher({std::move(stop_requested), std::move(progress)});
}

void TraceWriter::UsePackedFileCache(std::string dir) {
  impl_->files.UsePackedCache(std::move(dir));
}

uint64_t TraceWriter::events_written() const { return impl_->events_appended; }

const std::string& TraceWriter::dir() const { return impl_->dir; }

}  // namespace rwd::trace
