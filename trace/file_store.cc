#include "trace/file_store.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <memory>
#include <vector>

#include "trace/content_hash.h"
#include "trace/file_io.h"
#include "trace/layout.h"

namespace rwd::trace {

namespace {

// Level 3 (zstd's default) packs shared libraries ~3x at a few hundred MB/s;
// each file is compressed once per recording.
constexpr int kZstdLevel = 3;

Expected<std::string> HashFile(int fd, const std::string& path) {
  ContentHasher hasher;
  RETURN_IF_ERROR(ForEachBlock(fd, path, [&](const uint8_t* data, size_t n) {
    hasher.Update(data, n);
    return Status::Ok();
  }));
  return hasher.HexDigest();
}

Expected<std::string> CopyRaw(int fd, const std::string& path, int out, const std::string& temp) {
  ContentHasher hasher;
  RETURN_IF_ERROR(ForEachBlock(fd, path, [&](const uint8_t* data, size_t n) {
    hasher.Update(data, n);
    return WriteAll(out, {data, n}, temp);
  }));
  return hasher.HexDigest();
}

}  // namespace

FileStore::FileIdentity FileStore::IdentityOf(const struct stat& st) {
  return {st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
}

std::string FileStore::TempPath() {
  return files_dir_ + "/.tmp." + std::to_string(::getpid()) + "." + std::to_string(temp_counter_++);
}

bool FileStore::Holds(const std::string& id) const {
  std::string base = files_dir_ + "/" + id;
  return PathExists(base) || PathExists(base + kCompressedSuffix);
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

  ASSIGN_OR_RETURN(std::string id, CopyIn(fd, path, static_cast<uint64_t>(st.st_size)));
  // A file that changed while we read it has bytes the identity no longer
  // describes: do not remember it.
  struct stat after;
  if (::fstat(fd, &after) == 0 && IdentityOf(after) == identity) ids_[identity] = id;
  return id;
}

Expected<std::string> FileStore::CopyIn(int fd, const std::string& path, uint64_t size) {
  std::string temp = TempPath();
  ASSIGN_OR_RETURN(ScopedFd out, OpenFile(temp, O_RDWR | O_CREAT | O_EXCL, kTraceFileMode));
  auto copy = [&]() -> Expected<std::string> {
    ++counts_.hashed;
    if (TryReflink(out.get(), fd)) {
      // The clone is a snapshot: its hash names exactly the bytes kept.
      ASSIGN_OR_RETURN(std::string id, HashFile(out.get(), temp));
      if (Holds(id)) {
        ::unlink(temp.c_str());
        return id;
      }
      RETURN_IF_ERROR(Install(temp, id));
      ++counts_.reflinked;
      return id;
    }
    // Hash first: content already stored under another identity costs one
    // read instead of a compression.
    ASSIGN_OR_RETURN(std::string id, HashFile(fd, path));
    if (Holds(id)) {
      ::unlink(temp.c_str());
      return id;
    }
    if (size >= kCompressMinBytes) {
      bool paid = false;
      ASSIGN_OR_RETURN(id, WriteCompressed(fd, path, out.get(), size, &paid));
      if (paid) {
        RETURN_IF_ERROR(Install(temp, id + kCompressedSuffix));
        ++counts_.compressed;
        return id;
      }
      if (::ftruncate(out.get(), 0) != 0 || ::lseek(out.get(), 0, SEEK_SET) != 0) {
        return ErrnoError("rewinding " + temp);
      }
    }
    ASSIGN_OR_RETURN(id, CopyRaw(fd, path, out.get(), temp));
    RETURN_IF_ERROR(Install(temp, id));
    ++counts_.raw;
    return id;
  };
  Expected<std::string> id = copy();
  if (!id.ok()) {
    ::unlink(temp.c_str());
    return id.status().Wrap("storing a copy of " + path + " in the trace");
  }
  return id;
}

Expected<std::string> FileStore::WriteCompressed(int fd, const std::string& path, int out,
                                                 uint64_t size, bool* paid) {
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  if (!cctx) return Error("out of memory creating a zstd context");
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, kZstdLevel);
  std::vector<uint8_t> buffer(ZSTD_CStreamOutSize());
  ContentHasher hasher;
  uint64_t written = 0;
  auto pump = [&](ZSTD_inBuffer* in, ZSTD_EndDirective mode) -> Status {
    for (;;) {
      ZSTD_outBuffer o{buffer.data(), buffer.size(), 0};
      size_t left = ZSTD_compressStream2(cctx.get(), &o, in, mode);
      if (ZSTD_isError(left)) return Error(std::string("zstd: ") + ZSTD_getErrorName(left));
      RETURN_IF_ERROR(WriteAll(out, {buffer.data(), o.pos}, path));
      written += o.pos;
      bool done = mode == ZSTD_e_end ? left == 0 : in->pos == in->size;
      if (done) return Status::Ok();
    }
  };
  RETURN_IF_ERROR(ForEachBlock(fd, path, [&](const uint8_t* data, size_t n) {
    hasher.Update(data, n);
    ZSTD_inBuffer in{data, n, 0};
    return pump(&in, ZSTD_e_continue);
  }));
  ZSTD_inBuffer none{nullptr, 0, 0};
  RETURN_IF_ERROR(pump(&none, ZSTD_e_end));
  *paid = written <= size - size / 8;
  return hasher.HexDigest();
}

Status FileStore::Install(const std::string& temp, const std::string& name) {
  std::string final_path = files_dir_ + "/" + name;
  if (::rename(temp.c_str(), final_path.c_str()) != 0) {
    return ErrnoError("renaming " + temp + " to " + final_path);
  }
  return Status::Ok();
}

}  // namespace rwd::trace
