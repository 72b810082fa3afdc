// PackedFileCache: compressed copies of the files recorders stored, kept
// between recordings and named by content id (trace/content_hash.h), so that
// the next recording of the same toolchain copies a compiler's compressed
// bytes into its trace instead of compressing them again (zstd at ~100 MB/s
// is most of what an exec of a new large binary costs a recording, e.g.
// 0.3 s for gcc's 33 MB cc1; a copy of its 12 MB costs ~10 ms).
//
// It lives in the per-user cache (FileCache::DefaultDir() + "/packed":
// $REWIND_CACHE_DIR/packed or $XDG_CACHE_HOME/rewind/files/packed), a
// directory of the user's own, mode 0700. Entries are written under a
// temporary name and renamed, so a reader never sees a partial one; they are
// trusted as FileCache trusts its own, and replay checks every file it
// unpacks against its id (a damaged entry is reported then, never replayed).
// The cache is an accelerator: when it cannot be used (no directory, a full
// disk) recording compresses as before. Deleting it is always safe.
//
// Not thread-safe; one per FileStore.
#pragma once

#include <string>

#include "base/status.h"

namespace rwd::trace {

class PackedFileCache {
 public:
  // The cache for this user (not created).
  static std::string DefaultDir();

  explicit PackedFileCache(std::string dir) : dir_(std::move(dir)) {}

  // Copies the cached compressed bytes of `id` into `out` (an empty file);
  // false when the cache has none (or cannot be read).
  bool CopyTo(const std::string& id, int out);

  // Keeps a copy of the compressed bytes at `packed_path`, whose content
  // (unpacked) has the id `id`. Failures only mean no copy is kept.
  void Keep(const std::string& id, const std::string& packed_path);

 private:
  bool Ready();

  std::string dir_;
  int ready_ = -1;  // -1: not checked yet; 0: unusable; 1: usable
  uint64_t temp_counter_ = 0;
};

}  // namespace rwd::trace
