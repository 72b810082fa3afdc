// Chunks of the `events` file. Each chunk is a fixed 32-byte little-endian
// frame followed by a zstd-compressed payload of serialized events:
//
//   u32 magic "RWCK" | u32 compressed_size | u32 raw_size |
//   u64 first_event_number | u32 event_count | u64 xxh64(payload)
//
// Frames can be read without touching payloads, so a reader indexes a trace
// by hopping from frame to frame. Every frame field is validated: the
// checksum covers the payload, the zstd frame repeats raw_size, decoding
// checks event_count, and the reader checks first_event_number runs on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"

namespace rwd::trace {

inline constexpr uint32_t kChunkMagic = 0x4B435752;  // "RWCK" in file order
inline constexpr size_t kChunkFrameBytes = 32;
// Refuses frames that would make a reader allocate absurd buffers.
inline constexpr uint32_t kMaxChunkRawBytes = 256u << 20;

struct ChunkFrame {
  uint32_t compressed_size = 0;
  uint32_t raw_size = 0;
  uint64_t first_event = 0;
  uint32_t event_count = 0;
  uint64_t checksum = 0;
};

// Frame plus compressed payload for `raw`, the serialized events
// first_event .. first_event + event_count - 1.
Expected<std::vector<uint8_t>> BuildChunk(std::span<const uint8_t> raw,
                                          uint64_t first_event,
                                          uint32_t event_count);

// Parses the kChunkFrameBytes at `bytes`. kCorrupt (with a short reason) for a
// bad magic or sizes no writer produces.
Status DecodeChunkFrame(std::span<const uint8_t> bytes, ChunkFrame* frame);

// Verifies the payload checksum and decompresses it to frame.raw_size bytes.
// kCorrupt with a short reason ("checksum mismatch") on failure.
Expected<std::vector<uint8_t>> UnpackChunkPayload(
    const ChunkFrame& frame, std::span<const uint8_t> payload);

}  // namespace rwd::trace
