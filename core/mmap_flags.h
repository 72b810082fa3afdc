// What an mmap's flags say about the mapping (the same bits on every
// architecture Linux has for us).
#pragma once

#include <sys/mman.h>

#include <cstdint>

namespace rwd {

// MAP_SHARED or MAP_SHARED_VALIDATE: stores and file writes show in every
// mapping of the same file.
inline bool MapsShared(uint64_t flags) {
  constexpr uint64_t kMapType = 0x0f;  // MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE
  const uint64_t type = flags & kMapType;
  return type == MAP_SHARED || type == MAP_SHARED_VALIDATE;
}

}  // namespace rwd
