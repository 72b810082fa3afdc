#include "trace/file_io.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>

namespace rwd::trace {

Expected<ScopedFd> OpenFile(const std::string& path, int flags, mode_t mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == ENOENT)
      return Status(ErrorCode::kNotFound, "no such file: " + path);
    return ErrnoError("opening " + path);
  }
  return ScopedFd(fd);
}

Status WriteAll(int fd, std::span<const uint8_t> bytes,
                const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("writing " + path);
    }
    // A regular file accepts no bytes only when it cannot grow.
    if (n == 0) return SystemError("writing " + path, ENOSPC);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Expected<size_t> PreadFull(int fd, uint8_t* buf, size_t size, uint64_t offset,
                           const std::string& path) {
  size_t done = 0;
  while (done < size) {
    ssize_t n =
        ::pread(fd, buf + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("reading " + path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

Status ForEachBlock(int fd, const std::string& path,
                    const std::function<Status(const uint8_t*, size_t)>& sink) {
  constexpr size_t kBlockBytes = 1 << 20;
  std::vector<uint8_t> block(kBlockBytes);
  uint64_t offset = 0;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, PreadFull(fd, block.data(), block.size(), offset, path));
    if (n == 0) return Status::Ok();
    RETURN_IF_ERROR(sink(block.data(), n));
    offset += n;
  }
}

Expected<std::vector<Extent>> DataExtents(int fd, uint64_t size) {
  std::vector<Extent> extents;
  off_t saved_position = ::lseek(fd, 0, SEEK_CUR);
  uint64_t offset = 0;
  while (offset < size) {
    off_t start = ::lseek(fd, static_cast<off_t>(offset), SEEK_DATA);
    if (start < 0 && errno == ENXIO) break;  // a hole up to the end
    if (start < 0) {                         // no SEEK_DATA here: all data
      extents.push_back({offset, size - offset});
      break;
    }
    uint64_t data_start = static_cast<uint64_t>(start);
    if (data_start >= size) break;
    off_t end = ::lseek(fd, start, SEEK_HOLE);
    uint64_t data_end = end < 0 ? size : std::min<uint64_t>(static_cast<uint64_t>(end), size);
    if (data_end <= data_start) data_end = size;
    extents.push_back({data_start, data_end - data_start});
    offset = data_end;
  }
  if (saved_position >= 0) ::lseek(fd, saved_position, SEEK_SET);
  return extents;
}

Status ForEachExtent(int fd, const std::string& path, uint64_t size, const ExtentDataSink& data,
                     const ExtentHoleSink& hole) {
  constexpr size_t kBlockBytes = 1 << 20;
  ASSIGN_OR_RETURN(std::vector<Extent> extents, DataExtents(fd, size));
  std::vector<uint8_t> block(kBlockBytes);
  uint64_t offset = 0;
  for (const Extent& extent : extents) {
    if (extent.offset > offset) RETURN_IF_ERROR(hole(offset, extent.offset - offset));
    offset = extent.offset;
    uint64_t end = extent.offset + extent.length;
    while (offset < end) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(kBlockBytes, end - offset));
      ASSIGN_OR_RETURN(size_t n, PreadFull(fd, block.data(), want, offset, path));
      if (n == 0) return Status::Ok();  // the file shrank
      RETURN_IF_ERROR(data(offset, block.data(), n));
      offset += n;
    }
  }
  if (size > offset) RETURN_IF_ERROR(hole(offset, size - offset));
  return Status::Ok();
}

Status SparseWriter::Write(uint64_t offset, const uint8_t* data, size_t size) {
  constexpr uint64_t kGranule = 64 * 1024;
  while (size > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(size, kGranule - offset % kGranule));
    bool zeros = n == kGranule && data[0] == 0 && std::memcmp(data, data + 1, n - 1) == 0;
    if (!zeros) {
      size_t done = 0;
      while (done < n) {
        ssize_t w = ::pwrite(fd_, data + done, n - done, static_cast<off_t>(offset + done));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return ErrnoError("writing " + path_);
        if (w == 0) return SystemError("writing " + path_, ENOSPC);
        done += static_cast<size_t>(w);
      }
      written_ += n;
    }
    offset += n;
    data += n;
    size -= n;
  }
  return Status::Ok();
}

Status SparseWriter::Finish(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return ErrnoError("sizing " + path_);
  return Status::Ok();
}

bool TryReflink(int dst, int src) { return ::ioctl(dst, FICLONE, src) == 0; }

Expected<std::vector<uint8_t>> ReadWholeFile(const std::string& path) {
  ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(path, O_RDONLY));
  std::vector<uint8_t> bytes;
  uint8_t buf[64 * 1024];
  for (;;) {
    ASSIGN_OR_RETURN(size_t n,
                     PreadFull(fd.get(), buf, sizeof(buf), bytes.size(), path));
    bytes.insert(bytes.end(), buf, buf + n);
    if (n < sizeof(buf)) return bytes;
  }
}

Status WriteFileAtomically(const std::string& path,
                           std::span<const uint8_t> bytes) {
  std::string tmp = path + ".tmp";
  ASSIGN_OR_RETURN(ScopedFd fd,
                   OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600));
  Status status = WriteAll(fd.get(), bytes, tmp);
  fd.Reset();
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = ErrnoError("renaming " + tmp + " to " + path);
  }
  if (!status.ok()) ::unlink(tmp.c_str());
  return status;
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace rwd::trace
