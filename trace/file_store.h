// FileStore: the `files/` directory of a trace, holding the bytes of files the
// recorded processes mapped or executed, each named by its content id
// (trace/content_hash.h). Identical content is stored once.
//
// Every entry is a private copy owned by the trace (mode 0600, never a hard
// link: a link would let a write into the trace reach the system file, and
// would keep a setuid binary's old bits alive after a security update).
// Where the filesystem can share extents (ioctl FICLONE: btrfs, xfs, ...)
// the copy is a reflink and costs no space; otherwise a file of at least
// kCompressMinBytes is stored zstd-compressed as files/<id>.zst when that
// saves at least an eighth, and as is otherwise. Holes are never read: a file
// is walked by its data extents (SEEK_DATA), named by an id that counts holes
// without hashing them (trace/content_id.h), and a file that is mostly holes
// (a database's 100 GiB sparse file) is stored sparse, uncompressed. Copies are written under a
// temporary name and renamed, so an interrupted recorder never leaves a
// partial file under a content id.
//
// Remembers (device, inode, size, mtime) -> id so a file executed or mapped
// many times in one recording (make, shell pipelines) is read once. With a
// PackedFileCache (UsePackedCache), a file some earlier recording compressed
// is copied from there compressed instead of compressed again. Not
// thread-safe; one store per writer.
#pragma once

#include <sys/stat.h>

#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "base/scoped_fd.h"
#include "base/status.h"
#include "trace/packed_file_cache.h"

namespace rwd::trace {

class FileStore {
 public:
  static constexpr uint64_t kCompressMinBytes = 16 * 1024;

  explicit FileStore(std::string files_dir) : files_dir_(std::move(files_dir)) {}

  // Looks in on long copies, at every block read (holes count as read):
  // once a file's copy has taken `patience`, `stop_requested` may end it
  // (Store then fails with kCancelled and leaves no copy), and every
  // `progress_every` `progress` hears how far it got. A short copy is never
  // cut: a stop request then waits for it, as for any other step.
  struct Watcher {
    std::function<bool()> stop_requested;
    std::function<void(const std::string& path, uint64_t done, uint64_t size)> progress;
    std::chrono::milliseconds patience{1000};
    std::chrono::milliseconds progress_every{5000};
  };
  void SetWatcher(Watcher watcher) { watcher_ = std::move(watcher); }

  // Takes and keeps compressed copies in the cache at `dir` (across
  // recordings; see trace/packed_file_cache.h).
  void UsePackedCache(std::string dir) { packed_.emplace(std::move(dir)); }

  // Stores the file open at `fd` (read with pread, position untouched) or,
  // when fd < 0, the file at `path`; returns its content id.
  Expected<std::string> Store(int fd, const std::string& path);

  // How the stored copies were made, for tests and measurements.
  struct Counts {
    uint64_t reflinked = 0;
    uint64_t compressed = 0;
    uint64_t raw = 0;
    uint64_t sparse = 0;         // stored as is, with holes
    uint64_t hashed = 0;         // files read to find their id (identity cache misses)
    uint64_t packed_reused = 0;  // compressed copies taken from the packed cache
  };
  const Counts& counts() const { return counts_; }

 private:
  struct FileIdentity {
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_sec;
    int64_t mtime_nsec;
    auto operator<=>(const FileIdentity&) const = default;
  };
  static FileIdentity IdentityOf(const struct stat& st);

  bool Holds(const std::string& id) const;
  // Copies the bytes at `fd` in; returns the id of the bytes copied (which
  // differs from an earlier hash only if the file changed meanwhile).
  Expected<std::string> CopyIn(int fd, const std::string& path, uint64_t size);
  Expected<std::string> WriteCompressed(int fd, const std::string& path, int out, uint64_t size,
                                        bool* paid);
  Status Install(const std::string& temp, const std::string& name);
  std::string TempPath();

  // Called by each step of a copy: asks the watcher whether to go on.
  Status Watch(const std::string& path, uint64_t size, uint64_t offset, uint64_t length);

  std::string files_dir_;
  Watcher watcher_;
  std::chrono::steady_clock::time_point copy_started_;
  std::chrono::steady_clock::time_point next_progress_;
  std::map<FileIdentity, std::string> ids_;
  uint64_t temp_counter_ = 0;
  Counts counts_;
  std::optional<PackedFileCache> packed_;
};

}  // namespace rwd::trace
