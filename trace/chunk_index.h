// ChunkIndex: where each chunk of an `events` file is, built by reading only
// the frames, and loading of one chunk's events.
//
// Building tolerates a cut-off tail (a frame or payload running past the end
// of the file): the index stops before it and records where it starts. Any
// other inconsistency is kCorrupt naming the chunk and its byte offset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "trace/chunk.h"
#include "trace/event.h"

namespace rwd::trace {

struct ChunkLocation {
  uint64_t offset = 0;  // of the frame in the events file
  ChunkFrame frame;
};

struct ChunkIndex {
  std::vector<ChunkLocation> chunks;
  uint64_t event_count = 0;
  bool truncated = false;
  uint64_t truncated_offset = 0;  // where the incomplete chunk starts

  // Index of the chunk holding event `number` (< event_count).
  size_t ChunkOf(uint64_t number) const;
};

// `path` names the file in messages.
Expected<ChunkIndex> BuildChunkIndex(int fd, const std::string& path);

// Reads, verifies and decodes chunk `number` of the index.
Expected<std::vector<Event>> LoadChunk(int fd, const std::string& path,
                                       const ChunkIndex& index, size_t number);

}  // namespace rwd::trace
