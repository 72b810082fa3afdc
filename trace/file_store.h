// FileStore: the `files/` directory of a trace, holding the bytes of files the
// recorded processes mapped or executed, each named by its content id (the
// xxh3-128 of its bytes as 32 hex digits). Identical content is stored once.
//
// A file under a system prefix (/usr/, /lib/, /lib64/, /bin/, /sbin/, /opt/)
// is hard-linked when possible: package managers replace such files rather
// than rewrite them, so the link keeps the recorded bytes. Everything else is
// copied through a temporary name and renamed, so an interrupted recorder
// never leaves a partial file under a content id.
//
// Remembers (device, inode, size, mtime) -> id so a file mapped many times is
// hashed once. Not thread-safe; one store per writer.
#pragma once

#include <sys/stat.h>

#include <compare>
#include <cstdint>
#include <map>
#include <string>

#include "core/status.h"

namespace rwd::trace {

class FileStore {
 public:
  explicit FileStore(std::string files_dir)
      : files_dir_(std::move(files_dir)) {}

  // Stores the file open at `fd` (read with pread, position untouched) or,
  // when fd < 0, the file at `path`; returns its content id.
  Expected<std::string> Store(int fd, const std::string& path);

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

  // True when `path` now names the same file as `st` and was linked as `id`.
  bool TryLink(const std::string& path, const struct stat& st,
               const std::string& id);
  // Copies the bytes at `fd` in; returns the id of the bytes copied (which
  // differs from an earlier hash only if the file changed meanwhile).
  Expected<std::string> CopyIn(int fd, const std::string& path);
  std::string TempPath();

  std::string files_dir_;
  std::map<FileIdentity, std::string> ids_;
  uint64_t temp_counter_ = 0;
};

}  // namespace rwd::trace
