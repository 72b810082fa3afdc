#include "trace/file_store.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cstdio>
#include <memory>
#include <string_view>
#include <vector>

#include "trace/file_io.h"

namespace rwd::trace {

namespace {

constexpr size_t kReadBlockBytes = 1 << 20;

// Streaming xxh3-128 over a file's bytes.
class ContentHasher {
 public:
  ContentHasher() : state_(XXH3_createState(), XXH3_freeState) {
    XXH3_128bits_reset(state_.get());
  }
  void Update(const uint8_t* data, size_t size) {
    XXH3_128bits_update(state_.get(), data, size);
  }
  std::string HexDigest() const {
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(state_.get()));
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (uint8_t b : canonical.digest) {
      hex.push_back(kHex[b >> 4]);
      hex.push_back(kHex[b & 0xf]);
    }
    return hex;
  }

 private:
  std::unique_ptr<XXH3_state_t, XXH_errorcode (*)(XXH3_state_t*)> state_;
};

// Calls `sink(data, size)` for each block of the file at `fd`, from offset 0.
template <typename Sink>
Status ForEachBlock(int fd, const std::string& path, Sink sink) {
  std::vector<uint8_t> block(kReadBlockBytes);
  uint64_t offset = 0;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n,
                     PreadFull(fd, block.data(), block.size(), offset, path));
    if (n == 0) return Status::Ok();
    RETURN_IF_ERROR(sink(block.data(), n));
    offset += n;
  }
}

Expected<std::string> HashFile(int fd, const std::string& path) {
  ContentHasher hasher;
  RETURN_IF_ERROR(ForEachBlock(fd, path, [&](const uint8_t* data, size_t n) {
    hasher.Update(data, n);
    return Status::Ok();
  }));
  return hasher.HexDigest();
}

bool IsSystemPath(const std::string& path) {
  static constexpr std::string_view kPrefixes[] = {"/usr/", "/lib/",  "/lib64/",
                                                   "/bin/", "/sbin/", "/opt/"};
  // "/usr/../home/x" is not a system file.
  if (path.find("/..") != std::string::npos) return false;
  for (std::string_view prefix : kPrefixes) {
    if (path.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace

FileStore::FileIdentity FileStore::IdentityOf(const struct stat& st) {
  return {st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec,
          st.st_mtim.tv_nsec};
}

std::string FileStore::TempPath() {
  return files_dir_ + "/.tmp." + std::to_string(::getpid()) + "." +
         std::to_string(temp_counter_++);
}

Expected<std::string> FileStore::Store(int fd, const std::string& path) {
  ScopedFd owned;
  if (fd < 0) {
    ASSIGN_OR_RETURN(owned, OpenFile(path, O_RDONLY));
    fd = owned.get();
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError("stat of " + path);
  if (!S_ISREG(st.st_mode)) {
    return Status(ErrorCode::kInvalidInput,
                  "cannot store " + path + " in the trace: not a regular file");
  }
  FileIdentity identity = IdentityOf(st);
  if (auto it = ids_.find(identity); it != ids_.end()) return it->second;

  ASSIGN_OR_RETURN(std::string id, HashFile(fd, path));
  if (!PathExists(files_dir_ + "/" + id) && !TryLink(path, st, id)) {
    ASSIGN_OR_RETURN(std::string copied_id, CopyIn(fd, path));
    // The file changed while we read it: the copy is what the trace has, and
    // the identity no longer describes it, so do not remember it.
    if (copied_id != id) return copied_id;
  }
  ids_[identity] = id;
  return id;
}

bool FileStore::TryLink(const std::string& path, const struct stat& st,
                        const std::string& id) {
  if (!IsSystemPath(path)) return false;
  std::string temp = TempPath();
  // Follow a final symlink: the store must hold the file, not the link.
  if (::linkat(AT_FDCWD, path.c_str(), AT_FDCWD, temp.c_str(),
               AT_SYMLINK_FOLLOW) != 0) {
    return false;  // EXDEV, EPERM (protected_hardlinks), ...: copy instead
  }
  // The path may have been replaced since `fd` was opened; only a link to the
  // very file we hashed may carry its id.
  struct stat linked;
  bool same = ::lstat(temp.c_str(), &linked) == 0 && S_ISREG(linked.st_mode) &&
              IdentityOf(linked) == IdentityOf(st);
  if (same && ::rename(temp.c_str(), (files_dir_ + "/" + id).c_str()) == 0)
    return true;
  ::unlink(temp.c_str());
  return false;
}

Expected<std::string> FileStore::CopyIn(int fd, const std::string& path) {
  std::string temp = TempPath();
  ASSIGN_OR_RETURN(ScopedFd out,
                   OpenFile(temp, O_WRONLY | O_CREAT | O_EXCL, 0644));
  ContentHasher hasher;
  Status status = ForEachBlock(fd, path, [&](const uint8_t* data, size_t n) {
    hasher.Update(data, n);
    return WriteAll(out.get(), {data, n}, temp);
  });
  out.Reset();
  std::string id = hasher.HexDigest();
  if (status.ok() &&
      ::rename(temp.c_str(), (files_dir_ + "/" + id).c_str()) != 0) {
    status = ErrnoError("renaming " + temp);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status.Wrap("storing a copy of " + path + " in the trace");
  }
  return id;
}

}  // namespace rwd::trace
