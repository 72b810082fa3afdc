#include "trace/packed_file_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "base/scoped_fd.h"
#include "trace/content_hash.h"
#include "trace/file_cache.h"
#include "trace/file_io.h"
#include "trace/layout.h"

namespace rwd::trace {

namespace {

// Copies all of `in` into `out` (both at offset 0, `out` empty): shared
// extents where the filesystem can, else in the kernel (copy_file_range:
// no pass through our memory), else bytes.
bool CopyFile(int in, const std::string& in_path, int out, const std::string& out_path) {
  if (TryReflink(out, in)) return true;
  for (;;) {
    ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, size_t{1} << 30, 0);
    if (n == 0) return true;
    if (n > 0 || errno == EINTR) continue;
    // Not offered between these files (EXDEV on older kernels, EINVAL,
    // ENOSYS): start over, reading and writing.
    if (::ftruncate(out, 0) != 0 || ::lseek(in, 0, SEEK_SET) != 0 ||
        ::lseek(out, 0, SEEK_SET) != 0) {
      return false;
    }
    break;
  }
  return ForEachBlock(in, in_path,
                      [&](const uint8_t* data, size_t n) {
                        return WriteAll(out, {data, n}, out_path);
                      })
      .ok();
}

}  // namespace

std::string PackedFileCache::DefaultDir() { return FileCache::DefaultDir() + "/packed"; }

bool PackedFileCache::Ready() {
  if (ready_ >= 0) return ready_ == 1;
  ready_ = 0;
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return false;
  struct stat st;
  // Another user's directory could hand us planted copies.
  if (::lstat(dir_.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid()) {
    return false;
  }
  if ((st.st_mode & 0777) != 0700 && ::chmod(dir_.c_str(), 0700) != 0) return false;
  ready_ = 1;
  return true;
}

bool PackedFileCache::CopyTo(const std::string& id, int out) {
  if (!IsContentId(id) || !Ready()) return false;
  std::string path = dir_ + "/" + id + kCompressedSuffix;
  Expected<ScopedFd> in = OpenFile(path, O_RDONLY);
  if (!in.ok()) return false;
  if (CopyFile(in->get(), path, out, "the trace's copy")) return true;
  // A copy cut short: the caller compresses into `out` from the start.
  if (::ftruncate(out, 0) != 0) return false;
  ::lseek(out, 0, SEEK_SET);
  return false;
}

void PackedFileCache::Keep(const std::string& id, const std::string& packed_path) {
  if (!IsContentId(id) || !Ready()) return;
  std::string final_path = dir_ + "/" + id + kCompressedSuffix;
  if (PathExists(final_path)) return;
  Expected<ScopedFd> in = OpenFile(packed_path, O_RDONLY);
  if (!in.ok()) return;
  std::string temp =
      dir_ + "/.tmp." + std::to_string(::getpid()) + "." + std::to_string(temp_counter_++);
  Expected<ScopedFd> out = OpenFile(temp, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (!out.ok()) return;
  bool copied = CopyFile(in->get(), packed_path, out->get(), temp);
  if (!copied || ::rename(temp.c_str(), final_path.c_str()) != 0) ::unlink(temp.c_str());
}

}  // namespace rwd::trace
