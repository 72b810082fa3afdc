// File helpers for the trace library: thin wrappers around the system calls the
// trace reads and writes with. This is where errno becomes a Status (kSystem,
// or kNotFound for a missing file); messages name the path. Private to trace/.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/scoped_fd.h"
#include "base/status.h"

namespace rwd::trace {

// open(2) with O_CLOEXEC added. ENOENT gives kNotFound.
Expected<ScopedFd> OpenFile(const std::string& path, int flags,
                            mode_t mode = 0);

// Writes all of `bytes`, retrying short writes and EINTR.
Status WriteAll(int fd, std::span<const uint8_t> bytes,
                const std::string& path);

// Reads up to `size` bytes at `offset`, fewer only at end of file.
Expected<size_t> PreadFull(int fd, uint8_t* buf, size_t size, uint64_t offset,
                           const std::string& path);

// Calls `sink(data, size)` for each block of the file at `fd`, from offset 0
// to its end, stopping at the first error.
Status ForEachBlock(int fd, const std::string& path,
                    const std::function<Status(const uint8_t*, size_t)>& sink);

// A range of a file's bytes.
struct Extent {
  uint64_t offset;
  uint64_t length;
};

// The data extents of the file at `fd` within its first `size` bytes, from
// lseek SEEK_DATA/SEEK_HOLE; the whole range where the filesystem does not
// report holes. Reads nothing; leaves the file position where it was.
Expected<std::vector<Extent>> DataExtents(int fd, uint64_t size);

// Walks the file at `fd` (first `size` bytes) by its data extents
// (lseek SEEK_DATA/SEEK_HOLE, where the filesystem reports them; the whole
// file is data where it does not): `data(offset, bytes, n)` for each block of
// data, in order, and `hole(offset, length)` for each hole, which is never
// read. Leaves the file position where it was. Stops at the first error, or
// at end of file if the file shrank meanwhile (then no hole follows).
using ExtentDataSink = std::function<Status(uint64_t, const uint8_t*, size_t)>;
using ExtentHoleSink = std::function<Status(uint64_t, uint64_t)>;
Status ForEachExtent(int fd, const std::string& path, uint64_t size, const ExtentDataSink& data,
                     const ExtentHoleSink& hole);

// Writes a file sparsely: blocks of zeros (whole 64 KiB granules) are left as
// holes. Finish() sets the size, so a trailing hole is kept too.
class SparseWriter {
 public:
  SparseWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Status Write(uint64_t offset, const uint8_t* data, size_t size);
  Status Finish(uint64_t size);
  uint64_t written() const { return written_; }

 private:
  int fd_;
  std::string path_;
  uint64_t written_ = 0;  // bytes actually written (not left as holes)
};

// Makes `dst` share `src`'s extents (ioctl FICLONE): a copy that costs no
// space, where the filesystem offers it. False (and nothing changed) where
// it does not: other filesystems, different devices.
bool TryReflink(int dst, int src);

// Reads a whole (small) file. ENOENT gives kNotFound.
Expected<std::vector<uint8_t>> ReadWholeFile(const std::string& path);

// Writes `bytes` to a temporary name beside `path` (mode 0600), then renames
// it, so readers see either no file or the whole file.
Status WriteFileAtomically(const std::string& path,
                           std::span<const uint8_t> bytes);

bool PathExists(const std::string& path);

}  // namespace rwd::trace
