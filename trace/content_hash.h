// ContentHasher: the content id of a file copy in a trace, the xxh3-128 of
// its bytes as 32 lowercase hex digits. Shared by FileStore (which names
// copies by it) and FileCache (which checks copies against it). Part of the
// on-disk format: a trace's files/ names are these ids.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <memory>
#include <string>

namespace rwd::trace {

class ContentHasher {
 public:
  ContentHasher() : state_(XXH3_createState(), XXH3_freeState) { XXH3_128bits_reset(state_.get()); }
  void Update(const uint8_t* data, size_t size) { XXH3_128bits_update(state_.get(), data, size); }
  std::string HexDigest() const {
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(state_.get()));
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (uint8_t b : canonical.digest) {
      hex.push_back(kHex[b >> 4]);
      hex.push_back(kHex[b & 0xf]);
    }
    return hex;
  }

 private:
  std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> state_;
};

// A content id is 32 hex digits; anything else is not a name FileStore made.
inline bool IsContentId(const std::string& id) {
  if (id.size() != 32) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace rwd::trace
