#include "trace/chunk.h"

#include <xxhash.h>
#include <zstd.h>

#include <algorithm>
#include <string>

#include "trace/byte_codec.h"

namespace rwd::trace {

namespace {

// Fast: the recorder compresses while the tracee waits.
constexpr int kZstdLevel = 1;
// Every serialized event takes at least a tag and a tid byte.
constexpr uint32_t kMinEventBytes = 2;

Status Corrupt(const std::string& why) {
  return Status(ErrorCode::kCorrupt, why);
}

}  // namespace

Expected<std::vector<uint8_t>> BuildChunk(std::span<const uint8_t> raw,
                                          uint64_t first_event,
                                          uint32_t event_count) {
  if (raw.size() > kMaxChunkRawBytes) {
    return Status(ErrorCode::kUnsupported,
                  "events " + std::to_string(first_event) + ".." +
                      std::to_string(first_event + event_count - 1) +
                      " serialize to " + std::to_string(raw.size()) +
                      " bytes; the trace format limits a chunk to " +
                      std::to_string(kMaxChunkRawBytes) + " bytes");
  }
  std::vector<uint8_t> chunk(kChunkFrameBytes + ZSTD_compressBound(raw.size()));
  size_t compressed = ZSTD_compress(chunk.data() + kChunkFrameBytes,
                                    chunk.size() - kChunkFrameBytes, raw.data(),
                                    raw.size(), kZstdLevel);
  if (ZSTD_isError(compressed)) {
    return Error(std::string("compressing trace events: ") +
                 ZSTD_getErrorName(compressed));
  }
  chunk.resize(kChunkFrameBytes + compressed);

  ByteWriter frame;
  frame.PutFixed32(kChunkMagic);
  frame.PutFixed32(static_cast<uint32_t>(compressed));
  frame.PutFixed32(static_cast<uint32_t>(raw.size()));
  frame.PutFixed64(first_event);
  frame.PutFixed32(event_count);
  frame.PutFixed64(XXH64(chunk.data() + kChunkFrameBytes, compressed, 0));
  std::copy(frame.bytes().begin(), frame.bytes().end(), chunk.begin());
  return chunk;
}

Status DecodeChunkFrame(std::span<const uint8_t> bytes, ChunkFrame* frame) {
  ByteReader in(bytes.first(std::min(bytes.size(), kChunkFrameBytes)));
  uint32_t magic = 0;
  RETURN_IF_ERROR(in.ReadFixed32(&magic));
  if (magic != kChunkMagic) return Corrupt("bad chunk magic");
  RETURN_IF_ERROR(in.ReadFixed32(&frame->compressed_size));
  RETURN_IF_ERROR(in.ReadFixed32(&frame->raw_size));
  RETURN_IF_ERROR(in.ReadFixed64(&frame->first_event));
  RETURN_IF_ERROR(in.ReadFixed32(&frame->event_count));
  RETURN_IF_ERROR(in.ReadFixed64(&frame->checksum));
  if (frame->raw_size > kMaxChunkRawBytes) {
    return Corrupt("chunk claims " + std::to_string(frame->raw_size) +
                   " bytes of events, more than any writer produces");
  }
  if (frame->compressed_size > ZSTD_compressBound(frame->raw_size)) {
    return Corrupt("chunk's compressed size " +
                   std::to_string(frame->compressed_size) +
                   " is impossible for " + std::to_string(frame->raw_size) +
                   " bytes of events");
  }
  if (frame->event_count == 0 ||
      frame->event_count > frame->raw_size / kMinEventBytes) {
    return Corrupt("chunk claims " + std::to_string(frame->event_count) +
                   " events in " + std::to_string(frame->raw_size) + " bytes");
  }
  return Status::Ok();
}

Expected<std::vector<uint8_t>> UnpackChunkPayload(
    const ChunkFrame& frame, std::span<const uint8_t> payload) {
  if (payload.size() != frame.compressed_size)
    return Corrupt("payload size mismatch");
  if (XXH64(payload.data(), payload.size(), 0) != frame.checksum) {
    return Corrupt("checksum mismatch");
  }
  unsigned long long content_size =
      ZSTD_getFrameContentSize(payload.data(), payload.size());
  if (content_size != frame.raw_size)
    return Corrupt("decompressed size mismatch");
  std::vector<uint8_t> raw(frame.raw_size);
  size_t n =
      ZSTD_decompress(raw.data(), raw.size(), payload.data(), payload.size());
  if (ZSTD_isError(n))
    return Corrupt(std::string("zstd: ") + ZSTD_getErrorName(n));
  if (n != raw.size()) return Corrupt("decompressed size mismatch");
  return raw;
}

}  // namespace rwd::trace
