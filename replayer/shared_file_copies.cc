#include "replayer/shared_file_copies.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <vector>

namespace rwd::replayer {

namespace {

Expected<std::vector<uint8_t>> ReadAll(int fd) {
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  for (off_t at = 0;;) {
    ssize_t n = pread(fd, buf, sizeof(buf), at);
    if (n < 0) return ErrnoError("reading a shared file's copy");
    if (n == 0) return bytes;
    bytes.insert(bytes.end(), buf, buf + n);
    at += n;
  }
}

Status WriteAll(int fd, const std::vector<uint8_t>& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n <= 0) return ErrnoError("filling a writable copy of a shared file");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::string PathOf(int fd) {
  return "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(fd);
}

}  // namespace

Expected<std::string> SharedFileCopies::PathFor(const std::string& mapped_path,
                                                const std::string& trace_copy, bool writable) {
  ScopedFd source(open(trace_copy.c_str(), O_RDONLY | O_CLOEXEC));
  if (!source.valid()) return ErrnoError("opening the trace's copy of " + mapped_path);
  ASSIGN_OR_RETURN(std::vector<uint8_t> recorded, ReadAll(source.get()));
  auto it = copies_.find(mapped_path);
  if (it != copies_.end()) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> now, ReadAll(it->second.get()));
    if (now == recorded) return PathOf(it->second.get());
  }
  if (!writable) return std::string();
  ScopedFd memfd(
      memfd_create(("rewind-shared:" + mapped_path).substr(0, 249).c_str(), MFD_CLOEXEC));
  if (!memfd.valid()) return ErrnoError("creating a writable copy of " + mapped_path);
  RETURN_IF_ERROR(WriteAll(memfd.get(), recorded));
  std::string path = PathOf(memfd.get());
  copies_[mapped_path] = std::move(memfd);
  return path;
}

}  // namespace rwd::replayer
