#include "trace/content_id.h"

#include <algorithm>
#include <cstring>

namespace rwd::trace {

namespace {

constexpr uint8_t kZeroRunTag = 0;
constexpr uint8_t kGranuleTag = 1;
constexpr uint8_t kTailTag = 2;

const uint8_t* ZeroGranule() {
  static const std::vector<uint8_t> zeros(ContentIdBuilder::kGranule, 0);
  return zeros.data();
}

void UpdateU64(ContentHasher& hasher, uint64_t value) {
  uint8_t bytes[8];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  hasher.Update(bytes, sizeof(bytes));
}

}  // namespace

bool AllZero(const uint8_t* data, size_t size) {
  if (size == 0) return true;
  return data[0] == 0 && std::memcmp(data, data + 1, size - 1) == 0;
}

void ContentIdBuilder::FlushZeroRun() {
  if (zero_run_ == 0) return;
  granules_.Update(&kZeroRunTag, 1);
  UpdateU64(granules_, zero_run_);
  zero_run_ = 0;
}

void ContentIdBuilder::AddGranule(const uint8_t* granule) {
  if (AllZero(granule, kGranule)) {
    saw_zero_granule_ = true;
    ++zero_run_;
    return;
  }
  FlushZeroRun();
  granules_.Update(&kGranuleTag, 1);
  granules_.Update(granule, kGranule);
}

void ContentIdBuilder::AddData(const uint8_t* data, size_t size) {
  if (plain_complete_) plain_.Update(data, size);
  size_ += size;
  while (size > 0) {
    if (partial_.empty() && size >= kGranule) {
      AddGranule(data);
      data += kGranule;
      size -= kGranule;
      continue;
    }
    size_t n = std::min<size_t>(size, kGranule - partial_.size());
    partial_.insert(partial_.end(), data, data + n);
    data += n;
    size -= n;
    if (partial_.size() == kGranule) {
      AddGranule(partial_.data());
      partial_.clear();
    }
  }
}

void ContentIdBuilder::AddZeros(uint64_t size) {
  while (size > 0) {
    if (!partial_.empty() || size < kGranule) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(size, kGranule - partial_.size()));
      AddData(ZeroGranule(), n);
      size -= n;
      continue;
    }
    // Whole zero granules: counted, never hashed byte by byte.
    uint64_t whole = size / kGranule;
    saw_zero_granule_ = true;
    zero_run_ += whole;
    plain_complete_ = false;
    size_ += whole * kGranule;
    size -= whole * kGranule;
  }
}

std::string ContentIdBuilder::Finish() {
  if (!saw_zero_granule_) return plain_.HexDigest();
  FlushZeroRun();
  if (!partial_.empty()) {
    granules_.Update(&kTailTag, 1);
    granules_.Update(partial_.data(), partial_.size());
    partial_.clear();
  }
  UpdateU64(granules_, size_);
  return granules_.HexDigest();
}

bool ContentIdBuilder::Matches(const std::string& id) {
  if (plain_complete_ && plain_.HexDigest() == id) return true;
  return Finish() == id;
}

}  // namespace rwd::trace
