#include "trace/file_store.h"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "trace/content_id.h"
#include "trace/file_io.h"
#include "trace/layout.h"

namespace rwd::trace {

namespace {

// Level 3 (zstd's default) packs shared libraries ~3x at a few hundred MB/s;
// each file is compressed once per recording.
constexpr int kZstdLevel = 3;

// The id of the file's bytes, from its data extents; `hole_bytes` gets how
// much of it the filesystem keeps as holes.
Expected<std::string> HashFile(int fd, const std::string& path, uint64_t size,
                               uint64_t* hole_bytes, const ExtentHoleSink& watch) {
  ContentIdBuilder id;
  *hole_bytes = 0;
  RETURN_IF_ERROR(ForEachExtent(
      fd, path, size,
      [&](uint64_t offset, const uint8_t* data, size_t n) {
        id.AddData(data, n);
        return watch(offset, n);
      },
      [&](uint64_t offset, uint64_t n) {
        id.AddZeros(n);
        *hole_bytes += n;
        return watch(offset, n);
      }));
  return id.Finish();
}

// Copies the file as is, holes kept as holes (and blocks of zeros made holes).
Expected<std::string> CopySparse(int fd, const std::string& path, uint64_t size, int out,
                                 const std::string& temp, const ExtentHoleSink& watch) {
  ContentIdBuilder id;
  SparseWriter writer(out, temp);
  RETURN_IF_ERROR(ForEachExtent(
      fd, path, size,
      [&](uint64_t offset, const uint8_t* data, size_t n) {
        id.AddData(data, n);
        RETURN_IF_ERROR(watch(offset, n));
        return writer.Write(offset, data, n);
      },
      [&](uint64_t offset, uint64_t n) {
        id.AddZeros(n);
        return watch(offset, n);
      }));
  RETURN_IF_ERROR(writer.Finish(id.size()));
  return id.Finish();
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
  copy_started_ = std::chrono::steady_clock::now();
  next_progress_ = copy_started_ + watcher_.patience;
  auto watch = [&](uint64_t offset, uint64_t length) { return Watch(path, size, offset, length); };
  auto copy = [&]() -> Expected<std::string> {
    ++counts_.hashed;
    if (TryReflink(out.get(), fd)) {
      // The clone is a snapshot: its hash names exactly the bytes kept.
      uint64_t hole_bytes = 0;
      ASSIGN_OR_RETURN(std::string id, HashFile(out.get(), temp, size, &hole_bytes, watch));
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
    uint64_t hole_bytes = 0;
    ASSIGN_OR_RETURN(std::string id, HashFile(fd, path, size, &hole_bytes, watch));
    if (Holds(id)) {
      ::unlink(temp.c_str());
      return id;
    }
    // A file that is mostly holes (a database's sparse file) is stored sparse
    // and uncompressed: compressing would read its holes as zeros.
    bool mostly_holes = hole_bytes >= size / 2;
    if (size >= kCompressMinBytes && !mostly_holes) {
      if (packed_ && packed_->CopyTo(id, out.get())) {
        RETURN_IF_ERROR(Install(temp, id + kCompressedSuffix));
        ++counts_.compressed;
        ++counts_.packed_reused;
        return id;
      }
      bool paid = false;
      ASSIGN_OR_RETURN(id, WriteCompressed(fd, path, out.get(), size, &paid));
      if (paid) {
        RETURN_IF_ERROR(Install(temp, id + kCompressedSuffix));
        ++counts_.compressed;
        if (packed_) packed_->Keep(id, files_dir_ + "/" + id + kCompressedSuffix);
        return id;
      }
      if (::ftruncate(out.get(), 0) != 0 || ::lseek(out.get(), 0, SEEK_SET) != 0) {
        return ErrnoError("rewinding " + temp);
      }
    }
    ASSIGN_OR_RETURN(id, CopySparse(fd, path, size, out.get(), temp, watch));
    RETURN_IF_ERROR(Install(temp, id));
    ++(hole_bytes > 0 ? counts_.sparse : counts_.raw);
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
  ContentIdBuilder id;
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
  // Holes (a minority here: see CopyIn) go in as zeros.
  static const std::vector<uint8_t> zeros(1 << 20, 0);
  RETURN_IF_ERROR(ForEachExtent(
      fd, path, size,
      [&](uint64_t offset, const uint8_t* data, size_t n) {
        id.AddData(data, n);
        RETURN_IF_ERROR(Watch(path, size, offset, n));
        ZSTD_inBuffer in{data, n, 0};
        return pump(&in, ZSTD_e_continue);
      },
      [&](uint64_t offset, uint64_t n) {
        id.AddZeros(n);
        while (n > 0) {
          size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, zeros.size()));
          RETURN_IF_ERROR(Watch(path, size, offset, chunk));
          ZSTD_inBuffer in{zeros.data(), chunk, 0};
          RETURN_IF_ERROR(pump(&in, ZSTD_e_continue));
          offset += chunk;
          n -= chunk;
        }
        return Status::Ok();
      }));
  ZSTD_inBuffer none{nullptr, 0, 0};
  RETURN_IF_ERROR(pump(&none, ZSTD_e_end));
  *paid = written <= size - size / 8;
  return id.Finish();
}

Status FileStore::Watch(const std::string& path, uint64_t size, uint64_t offset,
                        uint64_t length) {
  auto now = std::chrono::steady_clock::now();
  if (now - copy_started_ < watcher_.patience) return Status::Ok();
  if (watcher_.stop_requested && watcher_.stop_requested()) {
    return Status(ErrorCode::kCancelled, "stopped on request while storing a copy of " + path);
  }
  if (watcher_.progress && now >= next_progress_) {
    watcher_.progress(path, offset + length, size);
    next_progress_ = now + watcher_.progress_every;
  }
  return Status::Ok();
}

Status FileStore::Install(const std::string& temp, const std::string& name) {
  std::string final_path = files_dir_ + "/" + name;
  if (::rename(temp.c_str(), final_path.c_str()) != 0) {
    return ErrnoError("renaming " + temp + " to " + final_path);
  }
  return Status::Ok();
}

}  // namespace rwd::trace
