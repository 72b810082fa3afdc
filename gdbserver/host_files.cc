#include "gdbserver/host_files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "gdbserver/hex.h"
#include "gdbserver/packet_codec.h"

namespace rwd::gdbserver {
namespace {

// gdb's fileio open flags (gdbsupport/fileio.h) that would change a file.
constexpr uint64_t kFileioWriteFlags = 0x1 /*O_WRONLY*/ | 0x2 /*O_RDWR*/ | 0x8 /*O_APPEND*/ |
                                       0x200 /*O_CREAT*/ | 0x400 /*O_TRUNC*/ |
                                       0x800 /*O_EXCL*/;
constexpr int kFileioEbadf = 9;
constexpr int kFileioEmfile = 24;
constexpr int kFileioErofs = 30;

std::string FileError(int fileio_errno) { return "F-1," + HexNumber(fileio_errno); }

void PutBig32(std::string* out, uint64_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}
void PutBig64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

}  // namespace

int FileioErrno(int linux_errno) {
  switch (linux_errno) {
    case EPERM: return 1;
    case ENOENT: return 2;
    case EINTR: return 4;
    case EBADF: return 9;
    case EACCES: return 13;
    case EFAULT: return 14;
    case EBUSY: return 16;
    case EEXIST: return 17;
    case ENODEV: return 19;
    case ENOTDIR: return 20;
    case EISDIR: return 21;
    case EINVAL: return 22;
    case ENFILE: return 23;
    case EMFILE: return 24;
    case EFBIG: return 27;
    case ENOSPC: return 28;
    case ESPIPE: return 29;
    case EROFS: return 30;
    case ENAMETOOLONG: return 91;
    default: return 9999;
  }
}

std::string HostFiles::Open(const std::string& host_path, uint64_t fileio_flags) {
  if (fileio_flags & kFileioWriteFlags) return FileError(kFileioErofs);
  if (files_.size() >= kMaxOpen) return FileError(kFileioEmfile);
  int fd = ::open(host_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError(FileioErrno(errno));
  return Add(ScopedFd(fd));
}

std::string HostFiles::OpenContents(const std::string& contents, uint64_t fileio_flags) {
  if (fileio_flags & kFileioWriteFlags) return FileError(kFileioErofs);
  if (files_.size() >= kMaxOpen) return FileError(kFileioEmfile);
  // A memory file, so pread and fstat work as on any other.
  ScopedFd fd(memfd_create("rewind-generated", MFD_CLOEXEC));
  if (fd.get() < 0) return FileError(FileioErrno(errno));
  for (size_t at = 0; at < contents.size();) {
    ssize_t n = ::write(fd.get(), contents.data() + at, contents.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return FileError(FileioErrno(n < 0 ? errno : ENOSPC));
    at += static_cast<size_t>(n);
  }
  return Add(std::move(fd));
}

std::string HostFiles::Add(ScopedFd fd) {
  int64_t handle = next_handle_++;
  files_.emplace(handle, std::move(fd));
  return "F" + HexNumber(static_cast<uint64_t>(handle));
}

std::string HostFiles::Pread(int64_t handle, uint64_t count, uint64_t offset,
                             size_t max_count) {
  auto it = files_.find(handle);
  if (it == files_.end()) return FileError(kFileioEbadf);
  if (offset > static_cast<uint64_t>(INT64_MAX)) return FileError(FileioErrno(EINVAL));
  std::vector<char> buffer(std::min<uint64_t>(count, max_count));
  ssize_t n;
  do {
    n = ::pread(it->second.get(), buffer.data(), buffer.size(), static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return FileError(FileioErrno(errno));
  return "F" + HexNumber(static_cast<uint64_t>(n)) + ";" +
         EscapeBinary(std::string_view(buffer.data(), static_cast<size_t>(n)));
}

std::string HostFiles::Close(int64_t handle) {
  if (files_.erase(handle) == 0) return FileError(kFileioEbadf);
  return "F0";
}

std::string HostFiles::Fstat(int64_t handle) {
  auto it = files_.find(handle);
  if (it == files_.end()) return FileError(kFileioEbadf);
  struct stat st {};
  if (::fstat(it->second.get(), &st) != 0) return FileError(FileioErrno(errno));
  // struct fio_stat: big-endian, 32-bit except size/blksize/blocks.
  std::string record;
  PutBig32(&record, st.st_dev);
  PutBig32(&record, st.st_ino);
  PutBig32(&record, st.st_mode);
  PutBig32(&record, st.st_nlink);
  PutBig32(&record, st.st_uid);
  PutBig32(&record, st.st_gid);
  PutBig32(&record, st.st_rdev);
  PutBig64(&record, static_cast<uint64_t>(st.st_size));
  PutBig64(&record, static_cast<uint64_t>(st.st_blksize));
  PutBig64(&record, static_cast<uint64_t>(st.st_blocks));
  PutBig32(&record, static_cast<uint64_t>(st.st_atime));
  PutBig32(&record, static_cast<uint64_t>(st.st_mtime));
  PutBig32(&record, static_cast<uint64_t>(st.st_ctime));
  return "F" + HexNumber(record.size()) + ";" + EscapeBinary(record);
}

}  // namespace rwd::gdbserver
