#include "trace/chunk_index.h"

#include <sys/stat.h>

#include <algorithm>

#include "trace/byte_codec.h"
#include "trace/event_codec.h"
#include "trace/file_io.h"

namespace rwd::trace {

namespace {

Status CorruptChunk(size_t number, uint64_t offset, const std::string& why) {
  return Status(ErrorCode::kCorrupt,
                "events chunk " + std::to_string(number) + " at byte offset " +
                    std::to_string(offset) + " is corrupt (" + why + ")");
}

}  // namespace

size_t ChunkIndex::ChunkOf(uint64_t number) const {
  auto after = std::upper_bound(chunks.begin(), chunks.end(), number,
                                [](uint64_t n, const ChunkLocation& chunk) {
                                  return n < chunk.frame.first_event;
                                });
  return static_cast<size_t>(after - chunks.begin()) - 1;
}

Expected<ChunkIndex> BuildChunkIndex(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError("stat of " + path);
  uint64_t file_size = static_cast<uint64_t>(st.st_size);

  ChunkIndex index;
  uint64_t offset = 0;
  while (offset < file_size) {
    uint8_t frame_bytes[kChunkFrameBytes];
    ASSIGN_OR_RETURN(size_t n, PreadFull(fd, frame_bytes, sizeof(frame_bytes),
                                         offset, path));
    ChunkFrame frame;
    bool whole_frame = n == kChunkFrameBytes;
    if (whole_frame) {
      Status status = DecodeChunkFrame(frame_bytes, &frame);
      if (!status.ok())
        return CorruptChunk(index.chunks.size(), offset, status.message());
    }
    if (!whole_frame ||
        file_size - offset - kChunkFrameBytes < frame.compressed_size) {
      index.truncated = true;
      index.truncated_offset = offset;
      break;
    }
    if (frame.first_event != index.event_count) {
      return CorruptChunk(index.chunks.size(), offset,
                          "it starts at event " +
                              std::to_string(frame.first_event) +
                              " but the previous chunk ends at " +
                              std::to_string(index.event_count));
    }
    index.chunks.push_back({offset, frame});
    index.event_count += frame.event_count;
    offset += kChunkFrameBytes + frame.compressed_size;
  }
  return index;
}

Expected<std::vector<Event>> LoadChunk(int fd, const std::string& path,
                                       const ChunkIndex& index, size_t number) {
  const ChunkLocation& chunk = index.chunks[number];
  std::vector<uint8_t> payload(chunk.frame.compressed_size);
  ASSIGN_OR_RETURN(size_t n, PreadFull(fd, payload.data(), payload.size(),
                                       chunk.offset + kChunkFrameBytes, path));
  if (n != payload.size()) {
    return Status(ErrorCode::kTruncated,
                  "events chunk " + std::to_string(number) +
                      " at byte offset " + std::to_string(chunk.offset) +
                      " ends early: " + path + " shrank while open");
  }
  auto raw = UnpackChunkPayload(chunk.frame, payload);
  if (!raw.ok())
    return CorruptChunk(number, chunk.offset, raw.status().message());

  ByteReader in(*raw);
  // Grown as events decode, so a corrupt event_count cannot allocate much.
  std::vector<Event> events;
  for (uint32_t i = 0; i < chunk.frame.event_count; ++i) {
    Event event;
    Status status = DecodeEvent(&in, &event);
    if (!status.ok())
      return CorruptChunk(number, chunk.offset, status.message());
    events.push_back(std::move(event));
  }
  if (!in.AtEnd()) {
    return CorruptChunk(
        number, chunk.offset,
        std::to_string(in.remaining()) + " bytes after its last event");
  }
  return events;
}

}  // namespace rwd::trace
