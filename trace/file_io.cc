#include "trace/file_io.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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
