// ContentIdBuilder: the content id of a file copy, computed from its data
// extents without reading or hashing its holes byte by byte.
//
// The id depends on the bytes only, never on how they are stored (dense,
// sparse, compressed, on a filesystem with 4 KiB or 64 KiB blocks), so the
// recorder and the replay's file cache agree whichever way a copy travelled:
//  - a file with no all-zero granule (kGranule bytes at a multiple of
//    kGranule) is named by the xxh3-128 of its bytes, as before sparse files
//    were handled: ids of existing traces stay valid;
//  - any other file is named by the xxh3-128 of its granule encoding: each run
//    of all-zero granules as (tag 0, count), each other granule as (tag 1,
//    bytes), the short tail as (tag 2, bytes), then the size. A hole of 1 TiB
//    costs one counter update.
// A granule is 64 KiB: coarser than any filesystem block, so a hole always
// covers whole granules except at its two ends, where at most 2 granules of
// zeros are hashed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "trace/content_hash.h"

namespace rwd::trace {

class ContentIdBuilder {
 public:
  static constexpr uint64_t kGranule = 64 * 1024;

  // The next `size` bytes of the file.
  void AddData(const uint8_t* data, size_t size);
  // The next `size` bytes of the file are zeros (a hole).
  void AddZeros(uint64_t size);
  uint64_t size() const { return size_; }

  // The id of everything added (call once, at the end).
  std::string Finish();
  // Whether `id` names everything added: Finish()'s id, or the plain xxh3 of
  // the bytes when all of them were hashed (a copy stored by a recorder that
  // named files by their plain hash alone). Call instead of Finish().
  bool Matches(const std::string& id);

 private:
  void AddGranule(const uint8_t* granule);
  void FlushZeroRun();

  ContentHasher plain_;
  bool plain_complete_ = true;  // every byte went into plain_
  ContentHasher granules_;
  bool saw_zero_granule_ = false;
  uint64_t zero_run_ = 0;
  std::vector<uint8_t> partial_;  // bytes of the granule being filled
  uint64_t size_ = 0;
};

// Whether all `size` bytes at `data` are zero.
bool AllZero(const uint8_t* data, size_t size);

}  // namespace rwd::trace
