// ByteWriter and ByteReader: the primitive encoding every trace structure is
// built from. Integers are LEB128 varints (signed ones zigzag-encoded) or
// fixed-width little-endian; strings and byte vectors are a varint length
// followed by the bytes; element counts are varints.
//
// ByteReader reads untrusted bytes (a trace may be truncated or corrupt): every
// read is bounds-checked and fails with kCorrupt, naming the byte offset,
// instead of reading past the end. Lengths and counts are checked against the
// bytes left before anything is allocated, so a corrupt length can never ask
// for gigabytes. ByteReader does not own the bytes it reads; they must outlive
// it. Neither class is thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace rwd::trace {

class ByteWriter {
 public:
  void PutU8(uint8_t v) { bytes_.push_back(v); }
  void PutBool(bool v) { PutU8(v ? 1 : 0); }
  // Inline for the one-byte case, most of a syscall's numbers (a batch
  // event has thousands).
  void PutUvarint(uint64_t v) {
    if (v < 0x80) {
      bytes_.push_back(static_cast<uint8_t>(v));
    } else {
      PutLongUvarint(v);
    }
  }
  void PutSvarint(int64_t v);
  void PutFixed32(uint32_t v);
  void PutFixed64(uint64_t v);
  void PutRaw(std::span<const uint8_t> bytes);
  // Length-prefixed.
  void PutString(const std::string& s);
  void PutBytes(std::span<const uint8_t> bytes);
  // A count, then each string.
  void PutStrings(const std::vector<std::string>& strings);

  const std::vector<uint8_t>& bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  void Clear() { bytes_.clear(); }
  // Drops bytes past `size`, undoing puts.
  void Truncate(size_t size) { bytes_.resize(std::min(size, bytes_.size())); }

 private:
  void PutLongUvarint(uint64_t v);

  std::vector<uint8_t> bytes_;
};

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  Status ReadU8(uint8_t* v);
  // Accepts only 0 and 1: any other byte means the data is not what we wrote.
  Status ReadBool(bool* v);
  Status ReadUvarint(uint64_t* v) {
    if (offset_ < bytes_.size() && bytes_[offset_] < 0x80) {
      *v = bytes_[offset_++];
      return Status::Ok();
    }
    return ReadLongUvarint(v);
  }
  Status ReadUvarint32(uint32_t* v);
  Status ReadSvarint(int64_t* v);
  Status ReadSvarint32(int32_t* v);
  Status ReadFixed32(uint32_t* v);
  Status ReadFixed64(uint64_t* v);
  // Points `*out` at the next `n` bytes (inside the reader's buffer).
  Status ReadRaw(size_t n, std::span<const uint8_t>* out);
  Status ReadString(std::string* s);
  Status ReadBytes(std::vector<uint8_t>* bytes);
  Status ReadStrings(std::vector<std::string>* strings);
  // A count of elements that each take at least `min_element_bytes` encoded,
  // so a count larger than the bytes left can be refused up front.
  Status ReadCount(size_t min_element_bytes, size_t* count);

  size_t offset() const { return offset_; }
  size_t remaining() const { return bytes_.size() - offset_; }
  bool AtEnd() const { return offset_ == bytes_.size(); }

 private:
  Status ReadLongUvarint(uint64_t* v);
  Status Corrupt(const std::string& what) const;
  Status Need(size_t n) const;

  std::span<const uint8_t> bytes_;
  size_t offset_ = 0;
};

}  // namespace rwd::trace
