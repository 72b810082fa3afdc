// FileCache: plain, executable copies of a trace's files/ entries, where a
// replay can execve and mmap them.
//
// Replay never maps a trace's files/ entries in place: they may be
// compressed, they are mode 0600 (not executable), and the trace directory
// may sit on a noexec or read-only filesystem or be packed into one file.
// Instead each entry is unpacked once into a per-user cache named by content
// id, $REWIND_CACHE_DIR or else $XDG_CACHE_HOME/rewind/files (default
// ~/.cache/rewind/files): replays of many traces share one copy of libc, a
// second replay costs no decompression, and nothing is written into the
// trace. The cache directory is 0700 and must belong to the user; entries are
// 0500 (read and execute, never setuid/setgid), written under a temporary
// name, checked against their content id and renamed, so concurrent replays
// and interrupted ones never see a partial copy. Deleting the cache is always
// safe.
//
// Not thread-safe; one cache per reader.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/status.h"

namespace rwd::trace {

class FileCache {
 public:
  // The cache directory for this user (not created).
  static std::string DefaultDir();

  FileCache(std::string files_dir, std::string cache_dir)
      : files_dir_(std::move(files_dir)), cache_dir_(std::move(cache_dir)) {}

  // Path of a plain copy of the trace entry `id`, unpacking it if needed.
  // kNotFound when the trace has no such entry; kCorrupt when its bytes do
  // not match the id.
  Expected<std::string> LocalCopy(const std::string& id);

 private:
  Status PrepareDir();
  Expected<std::string> Unpack(const std::string& id, const std::string& dest);

  std::string files_dir_;
  std::string cache_dir_;
  bool dir_ready_ = false;
  std::map<std::string, std::string> paths_;
  uint64_t temp_counter_ = 0;
};

}  // namespace rwd::trace
