#include "trace/file_cache.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <vector>

#include "base/scoped_fd.h"
#include "base/user_dirs.h"
#include "trace/content_hash.h"
#include "trace/content_id.h"
#include "trace/file_io.h"
#include "trace/layout.h"

namespace rwd::trace {

namespace {

constexpr mode_t kEntryMode = 0500;

Expected<uint64_t> FileSize(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoError("stat of " + path);
  return static_cast<uint64_t>(st.st_size);
}

// Reads `fd` by extents into `id`, without reading its holes.
Status HashExtents(int fd, const std::string& path, ContentIdBuilder* id) {
  ASSIGN_OR_RETURN(uint64_t size, FileSize(fd, path));
  return ForEachExtent(
      fd, path, size,
      [&](uint64_t, const uint8_t* data, size_t n) {
        id->AddData(data, n);
        return Status::Ok();
      },
      [&](uint64_t, uint64_t n) {
        id->AddZeros(n);
        return Status::Ok();
      });
}

Status CopyPlain(int in, const std::string& in_path, int out, const std::string& out_path,
                 ContentIdBuilder* id) {
  if (TryReflink(out, in)) return HashExtents(out, out_path, id);
  ASSIGN_OR_RETURN(uint64_t size, FileSize(in, in_path));
  SparseWriter writer(out, out_path);
  RETURN_IF_ERROR(ForEachExtent(
      in, in_path, size,
      [&](uint64_t offset, const uint8_t* data, size_t n) {
        id->AddData(data, n);
        return writer.Write(offset, data, n);
      },
      [&](uint64_t, uint64_t n) {
        id->AddZeros(n);
        return Status::Ok();
      }));
  return writer.Finish(id->size());
}

Status Decompress(int in, const std::string& in_path, int out, const std::string& out_path,
                  ContentIdBuilder* id) {
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!dctx) return Error("out of memory creating a zstd context");
  std::vector<uint8_t> buffer(ZSTD_DStreamOutSize());
  SparseWriter writer(out, out_path);
  size_t last = 0;
  RETURN_IF_ERROR(ForEachBlock(in, in_path, [&](const uint8_t* data, size_t n) -> Status {
    ZSTD_inBuffer input{data, n, 0};
    while (input.pos < input.size) {
      ZSTD_outBuffer output{buffer.data(), buffer.size(), 0};
      last = ZSTD_decompressStream(dctx.get(), &output, &input);
      if (ZSTD_isError(last)) {
        return Status(ErrorCode::kCorrupt,
                      in_path + " is corrupt (zstd: " + ZSTD_getErrorName(last) + ")");
      }
      // Blocks of zeros become holes in the cache's copy.
      RETURN_IF_ERROR(writer.Write(id->size(), buffer.data(), output.pos));
      id->AddData(buffer.data(), output.pos);
    }
    return Status::Ok();
  }));
  if (last != 0) return Status(ErrorCode::kCorrupt, in_path + " is cut short");
  return writer.Finish(id->size());
}

// A replay killed while it unpacked a copy leaves its temporary file
// (".tmp.PID.N"), which can be as large as the file: remove those of
// processes that no longer exist. A live process's are its own business.
void RemoveTempsOfDeadProcesses(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(".tmp.", 0) != 0) continue;
    const pid_t pid = static_cast<pid_t>(std::strtol(name.c_str() + 5, nullptr, 10));
    if (pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH)) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

}  // namespace

std::string FileCache::DefaultDir() {
  if (const char* dir = getenv("REWIND_CACHE_DIR"); dir && *dir) return dir;
  if (std::string cache = UserCacheDir(); !cache.empty()) return cache + "/rewind/files";
  return "/tmp/rewind-cache-" + std::to_string(getuid());
}

Status FileCache::PrepareDir() {
  if (dir_ready_) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(cache_dir_, ec);
  if (ec) return Error("cannot create the file cache " + cache_dir_ + ": " + ec.message());
  struct stat st;
  if (::lstat(cache_dir_.c_str(), &st) != 0) return ErrnoError("stat of " + cache_dir_);
  // Another user's directory could hand us planted "copies".
  if (!S_ISDIR(st.st_mode) || st.st_uid != getuid()) {
    return Error("the file cache " + cache_dir_ +
                 " is not a directory of yours; set REWIND_CACHE_DIR to another place");
  }
  if ((st.st_mode & 0777) != 0700 && ::chmod(cache_dir_.c_str(), 0700) != 0) {
    return ErrnoError("making " + cache_dir_ + " private");
  }
  RemoveTempsOfDeadProcesses(cache_dir_);
  dir_ready_ = true;
  return Status::Ok();
}

Expected<std::string> FileCache::LocalCopy(const std::string& id) {
  if (auto it = paths_.find(id); it != paths_.end()) return it->second;
  if (!IsContentId(id)) {
    return Status(ErrorCode::kCorrupt,
                  "the trace names a file copy '" + id + "' that is not a content id");
  }
  RETURN_IF_ERROR(PrepareDir());
  std::string dest = cache_dir_ + "/" + id;
  struct stat st;
  if (::lstat(dest.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    ASSIGN_OR_RETURN(dest, Unpack(id, dest));
  }
  paths_[id] = dest;
  return dest;
}

Expected<std::string> FileCache::Unpack(const std::string& id, const std::string& dest) {
  std::string plain = files_dir_ + "/" + id;
  std::string packed = plain + kCompressedSuffix;
  bool compressed = !PathExists(plain);
  std::string source = compressed ? packed : plain;
  auto in = OpenFile(source, O_RDONLY);
  if (!in.ok()) {
    if (in.status().code() != ErrorCode::kNotFound) return in.status();
    return Status(ErrorCode::kNotFound, "the trace has no copy of file " + id + " (neither " +
                                            plain + " nor " + packed + ")");
  }
  std::string temp =
      cache_dir_ + "/.tmp." + std::to_string(getpid()) + "." + std::to_string(temp_counter_++);
  ASSIGN_OR_RETURN(ScopedFd out, OpenFile(temp, O_RDWR | O_CREAT | O_EXCL, 0600));
  ContentIdBuilder content;
  Status status = compressed ? Decompress(in->get(), source, out.get(), temp, &content)
                             : CopyPlain(in->get(), source, out.get(), temp, &content);
  if (status.ok() && !content.Matches(id)) {
    status = Status(ErrorCode::kCorrupt,
                    "the trace's copy " + source + " is corrupt: its bytes do not match its id");
  }
  if (status.ok() && ::fchmod(out.get(), kEntryMode) != 0) status = ErrnoError("chmod " + temp);
  out.Reset();
  if (status.ok() && ::rename(temp.c_str(), dest.c_str()) != 0) {
    status = ErrnoError("renaming " + temp + " to " + dest);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  return dest;
}

}  // namespace rwd::trace
