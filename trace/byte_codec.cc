#include "trace/byte_codec.h"

#include <algorithm>
#include <limits>

namespace rwd::trace {

namespace {

// A u64 needs at most 10 LEB128 bytes; the 10th may carry only one bit.
constexpr int kMaxVarintBytes = 10;

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

}  // namespace

void ByteWriter::PutLongUvarint(uint64_t v) {
  uint8_t encoded[kMaxVarintBytes];
  size_t n = 0;
  while (v >= 0x80) {
    encoded[n++] = static_cast<uint8_t>(v) | 0x80;
    v >>= 7;
  }
  encoded[n++] = static_cast<uint8_t>(v);
  bytes_.insert(bytes_.end(), encoded, encoded + n);
}

void ByteWriter::PutSvarint(int64_t v) { PutUvarint(ZigZag(v)); }

void ByteWriter::PutFixed32(uint32_t v) {
  for (int i = 0; i < 4; ++i)
    bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void ByteWriter::PutFixed64(uint64_t v) {
  for (int i = 0; i < 8; ++i)
    bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void ByteWriter::PutRaw(std::span<const uint8_t> bytes) {
  bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
}

void ByteWriter::PutString(const std::string& s) {
  PutUvarint(s.size());
  bytes_.insert(bytes_.end(), s.begin(), s.end());
}

void ByteWriter::PutBytes(std::span<const uint8_t> bytes) {
  PutUvarint(bytes.size());
  PutRaw(bytes);
}

void ByteWriter::PutStrings(const std::vector<std::string>& strings) {
  PutUvarint(strings.size());
  for (const std::string& s : strings) PutString(s);
}

Status ByteReader::Corrupt(const std::string& what) const {
  return Status(ErrorCode::kCorrupt,
                what + " at byte " + std::to_string(offset_));
}

Status ByteReader::Need(size_t n) const {
  if (n <= remaining()) return Status::Ok();
  return Corrupt("data ends early (need " + std::to_string(n) + " bytes, " +
                 std::to_string(remaining()) + " left)");
}

Status ByteReader::ReadU8(uint8_t* v) {
  RETURN_IF_ERROR(Need(1));
  *v = bytes_[offset_++];
  return Status::Ok();
}

Status ByteReader::ReadBool(bool* v) {
  uint8_t b = 0;
  RETURN_IF_ERROR(ReadU8(&b));
  if (b > 1) {
    --offset_;
    return Corrupt("boolean byte is " + std::to_string(b));
  }
  *v = b == 1;
  return Status::Ok();
}

Status ByteReader::ReadLongUvarint(uint64_t* v) {
  uint64_t result = 0;
  for (int i = 0; i < kMaxVarintBytes; ++i) {
    if (offset_ + i >= bytes_.size())
      return Corrupt("varint runs past the end");
    uint8_t b = bytes_[offset_ + i];
    if (i == kMaxVarintBytes - 1 && b > 1)
      return Corrupt("varint overflows 64 bits");
    result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      offset_ += i + 1;
      *v = result;
      return Status::Ok();
    }
  }
  return Corrupt("varint longer than 10 bytes");
}

Status ByteReader::ReadUvarint32(uint32_t* v) {
  uint64_t wide = 0;
  size_t start = offset_;
  RETURN_IF_ERROR(ReadUvarint(&wide));
  if (wide > std::numeric_limits<uint32_t>::max()) {
    offset_ = start;
    return Corrupt("value " + std::to_string(wide) + " does not fit 32 bits");
  }
  *v = static_cast<uint32_t>(wide);
  return Status::Ok();
}

Status ByteReader::ReadSvarint(int64_t* v) {
  uint64_t raw = 0;
  RETURN_IF_ERROR(ReadUvarint(&raw));
  *v = UnZigZag(raw);
  return Status::Ok();
}

Status ByteReader::ReadSvarint32(int32_t* v) {
  int64_t wide = 0;
  size_t start = offset_;
  RETURN_IF_ERROR(ReadSvarint(&wide));
  if (wide < std::numeric_limits<int32_t>::min() ||
      wide > std::numeric_limits<int32_t>::max()) {
    offset_ = start;
    return Corrupt("value " + std::to_string(wide) + " does not fit 32 bits");
  }
  *v = static_cast<int32_t>(wide);
  return Status::Ok();
}

Status ByteReader::ReadFixed32(uint32_t* v) {
  RETURN_IF_ERROR(Need(4));
  uint32_t result = 0;
  for (int i = 0; i < 4; ++i) {
    result |= static_cast<uint32_t>(bytes_[offset_ + i]) << (8 * i);
  }
  offset_ += 4;
  *v = result;
  return Status::Ok();
}

Status ByteReader::ReadFixed64(uint64_t* v) {
  RETURN_IF_ERROR(Need(8));
  uint64_t result = 0;
  for (int i = 0; i < 8; ++i) {
    result |= static_cast<uint64_t>(bytes_[offset_ + i]) << (8 * i);
  }
  offset_ += 8;
  *v = result;
  return Status::Ok();
}

Status ByteReader::ReadRaw(size_t n, std::span<const uint8_t>* out) {
  RETURN_IF_ERROR(Need(n));
  *out = bytes_.subspan(offset_, n);
  offset_ += n;
  return Status::Ok();
}

Status ByteReader::ReadString(std::string* s) {
  size_t n = 0;
  RETURN_IF_ERROR(ReadCount(1, &n));
  std::span<const uint8_t> raw;
  RETURN_IF_ERROR(ReadRaw(n, &raw));
  s->assign(raw.begin(), raw.end());
  return Status::Ok();
}

Status ByteReader::ReadBytes(std::vector<uint8_t>* bytes) {
  size_t n = 0;
  RETURN_IF_ERROR(ReadCount(1, &n));
  std::span<const uint8_t> raw;
  RETURN_IF_ERROR(ReadRaw(n, &raw));
  bytes->assign(raw.begin(), raw.end());
  return Status::Ok();
}

Status ByteReader::ReadStrings(std::vector<std::string>* strings) {
  size_t n = 0;
  RETURN_IF_ERROR(ReadCount(1, &n));
  strings->resize(n);
  for (std::string& s : *strings) RETURN_IF_ERROR(ReadString(&s));
  return Status::Ok();
}

Status ByteReader::ReadCount(size_t min_element_bytes, size_t* count) {
  uint64_t n = 0;
  size_t start = offset_;
  RETURN_IF_ERROR(ReadUvarint(&n));
  // Division, not multiplication, so a huge count cannot overflow the check.
  if (n > remaining() / std::max<size_t>(min_element_bytes, 1)) {
    offset_ = start;
    return Corrupt("length " + std::to_string(n) + " exceeds the " +
                   std::to_string(remaining()) + " bytes left");
  }
  *count = static_cast<size_t>(n);
  return Status::Ok();
}

}  // namespace rwd::trace
