#include "trace/trace_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <memory>
#include <vector>

#include "base/scoped_fd.h"
#include "trace/content_hash.h"
#include "trace/file_io.h"
#include "trace/layout.h"

namespace rwd::trace {

namespace fs = std::filesystem;

namespace {

constexpr size_t kBlockBytes = 1 << 20;

using ArchivePtr = std::unique_ptr<struct archive, int (*)(struct archive*)>;
using EntryPtr = std::unique_ptr<struct archive_entry, void (*)(struct archive_entry*)>;

Status ArchiveError(struct archive* a, const std::string& what) {
  const char* detail = archive_error_string(a);
  return Error(what + ": " + (detail ? detail : "libarchive failed"));
}

// The files of the trace, directories first, in a stable order, as paths
// relative to `dir`. Temporary files of an interrupted store are left out.
Expected<std::vector<fs::path>> TraceEntries(const std::string& dir) {
  std::vector<fs::path> entries;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.starts_with(".tmp")) continue;
    entries.push_back(fs::relative(it->path(), dir));
  }
  if (ec) return Error("reading the trace directory " + dir + ": " + ec.message());
  std::sort(entries.begin(), entries.end());
  return entries;
}

Status AddEntry(struct archive* a, const std::string& dir, const fs::path& rel) {
  std::string full = dir + "/" + rel.string();
  struct stat st;
  if (lstat(full.c_str(), &st) != 0) return ErrnoError("stat of " + full);
  EntryPtr entry(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(entry.get(), rel.c_str());
  archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  if (S_ISDIR(st.st_mode)) {
    archive_entry_set_filetype(entry.get(), AE_IFDIR);
    archive_entry_set_perm(entry.get(), 0700);
    if (archive_write_header(a, entry.get()) != ARCHIVE_OK) {
      return ArchiveError(a, "packing " + full);
    }
    return Status::Ok();
  }
  if (!S_ISREG(st.st_mode)) {
    return Status(ErrorCode::kInvalidInput,
                  "cannot pack " + full + ": a trace holds only files and directories");
  }
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), (st.st_mode & S_IXUSR) ? 0700 : 0600);
  archive_entry_set_size(entry.get(), st.st_size);
  ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(full, O_RDONLY));
  uint64_t size = static_cast<uint64_t>(st.st_size);
  // A sparse file copy (trace/file_store.h) goes in as a sparse entry: only
  // its data extents are stored (GNU sparse 1.0 in pax), holes are not.
  ASSIGN_OR_RETURN(std::vector<Extent> extents, DataExtents(fd.get(), size));
  uint64_t data_bytes = 0;
  for (const Extent& e : extents) data_bytes += e.length;
  // A file of nothing but holes still needs one extent to be marked sparse.
  if (extents.empty() && size > 0) extents.push_back({size - 1, 1});
  if (data_bytes < size) {
    for (const Extent& e : extents) {
      archive_entry_sparse_add_entry(entry.get(), static_cast<la_int64_t>(e.offset),
                                     static_cast<la_int64_t>(e.length));
    }
  }
  if (archive_write_header(a, entry.get()) != ARCHIVE_OK) {
    return ArchiveError(a, "packing " + full);
  }
  auto write = [&](const uint8_t* data, size_t n) -> Status {
    if (archive_write_data(a, data, n) != static_cast<la_ssize_t>(n)) {
      return ArchiveError(a, "packing " + full);
    }
    return Status::Ok();
  };
  // The writer skips the bytes of holes; they are handed to it from one
  // block of zeros, never read.
  static const std::vector<uint8_t> zeros(kBlockBytes, 0);
  uint64_t offset = 0;
  RETURN_IF_ERROR(ForEachExtent(
      fd.get(), full, size,
      [&](uint64_t at, const uint8_t* data, size_t n) {
        offset = at + n;
        return write(data, n);
      },
      [&](uint64_t at, uint64_t n) {
        offset = at + n;
        while (n > 0) {
          size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, zeros.size()));
          RETURN_IF_ERROR(write(zeros.data(), chunk));
          n -= chunk;
        }
        return Status::Ok();
      }));
  if (offset != size) {
    return Error(full + " changed while it was packed");
  }
  return Status::Ok();
}

Expected<std::string> HashArchive(const std::string& path) {
  ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(path, O_RDONLY));
  ContentHasher hasher;
  std::vector<uint8_t> block(kBlockBytes);
  uint64_t offset = 0;
  for (;;) {
    ASSIGN_OR_RETURN(size_t n, PreadFull(fd.get(), block.data(), block.size(), offset, path));
    if (n == 0) break;
    hasher.Update(block.data(), n);
    offset += n;
  }
  return hasher.HexDigest();
}

// A path from an archive that stays inside the directory it is unpacked in.
bool SafeEntryPath(const std::string& path) {
  if (path.empty() || path[0] == '/') return false;
  for (const fs::path& part : fs::path(path)) {
    if (part == "..") return false;
  }
  return true;
}

// Creates the directories of `rel` under `root`, each 0700.
Status MakePrivateDirs(const std::string& root, const fs::path& rel) {
  std::string path = root;
  for (const fs::path& part : rel) {
    path += "/" + part.string();
    if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoError("creating " + path);
  }
  return Status::Ok();
}

Status ExtractFile(struct archive* a, const std::string& path, mode_t mode, off_t entry_size) {
  ASSIGN_OR_RETURN(ScopedFd out, OpenFile(path, O_WRONLY | O_CREAT | O_EXCL, mode));
  for (;;) {
    const void* data = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    int r = archive_read_data_block(a, &data, &size, &offset);
    // Sets the size: a sparse entry's trailing hole is never written.
    if (r == ARCHIVE_EOF) return entry_size < 0 || ftruncate(out.get(), entry_size) == 0
                                     ? Status::Ok()
                                     : ErrnoError("sizing " + path);
    if (r != ARCHIVE_OK) return ArchiveError(a, "unpacking " + path);
    if (lseek(out.get(), offset, SEEK_SET) < 0) return ErrnoError("seeking in " + path);
    RETURN_IF_ERROR(WriteAll(out.get(), {static_cast<const uint8_t*>(data), size}, path));
  }
}

Status ExtractAll(const std::string& archive_path, const std::string& dest) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  archive_read_support_filter_zstd(a.get());
  archive_read_support_filter_none(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), archive_path.c_str(), kBlockBytes) != ARCHIVE_OK) {
    return ArchiveError(a.get(), archive_path + " is not a packed trace");
  }
  for (;;) {
    struct archive_entry* entry = nullptr;
    int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK) return ArchiveError(a.get(), "reading " + archive_path);
    std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    if (!SafeEntryPath(name)) {
      return Status(ErrorCode::kCorrupt,
                    archive_path + " holds an entry outside the trace: '" + name + "'");
    }
    while (name.size() > 1 && name.back() == '/') name.pop_back();
    std::string out = dest + "/" + name;
    RETURN_IF_ERROR(MakePrivateDirs(dest, fs::path(name).parent_path()));
    mode_t type = archive_entry_filetype(entry);
    if (type == AE_IFDIR) {
      RETURN_IF_ERROR(MakePrivateDirs(dest, name));
    } else if (type == AE_IFREG) {
      mode_t mode = (archive_entry_perm(entry) & S_IXUSR) ? 0700 : 0600;
      off_t size = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : -1;
      RETURN_IF_ERROR(ExtractFile(a.get(), out, mode, size));
    } else {
      return Status(ErrorCode::kCorrupt, archive_path + " holds '" + name +
                                             "', which is neither a file nor a directory");
    }
  }
  if (!PathExists(dest + "/" + kHeaderFileName)) {
    return Status(ErrorCode::kCorrupt, archive_path + " holds no trace (no '" +
                                           std::string(kHeaderFileName) + "' file)");
  }
  return Status::Ok();
}

}  // namespace

Expected<uint64_t> PackTraceDir(const std::string& dir, const std::string& archive_path) {
  if (!PathExists(dir + "/" + kHeaderFileName)) {
    return Status(ErrorCode::kNotFound,
                  dir + " is not a trace (it has no '" + std::string(kHeaderFileName) + "' file)");
  }
  ASSIGN_OR_RETURN(std::vector<fs::path> entries, TraceEntries(dir));
  std::string temp = archive_path + ".tmp" + std::to_string(getpid());
  ArchivePtr a(archive_write_new(), archive_write_free);
  if (archive_write_add_filter_zstd(a.get()) != ARCHIVE_OK ||
      archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK) {
    return ArchiveError(a.get(), "setting up the archive writer");
  }
  // Created private: the archive holds the trace's secrets (environment, file contents), and
  // archive_write_open_filename would leave it readable by all under the usual umask.
  ASSIGN_OR_RETURN(ScopedFd out, OpenFile(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (archive_write_open_fd(a.get(), out.get()) != ARCHIVE_OK) {
    unlink(temp.c_str());
    return ArchiveError(a.get(), "creating " + temp);
  }
  Status status = Status::Ok();
  for (const fs::path& rel : entries) {
    status = AddEntry(a.get(), dir, rel);
    if (!status.ok()) break;
  }
  if (status.ok() && archive_write_close(a.get()) != ARCHIVE_OK) {
    status = ArchiveError(a.get(), "finishing " + temp);
  }
  a.reset();
  struct stat st;
  if (status.ok() && fstat(out.get(), &st) != 0) status = ErrnoError("stat of " + temp);
  if (status.ok() && rename(temp.c_str(), archive_path.c_str()) != 0) {
    status = ErrnoError("renaming " + temp + " to " + archive_path);
  }
  if (!status.ok()) {
    unlink(temp.c_str());
    return status;
  }
  return static_cast<uint64_t>(st.st_size);
}

bool LooksLikeTraceArchive(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  auto fd = OpenFile(path, O_RDONLY);
  if (!fd.ok()) return false;
  uint8_t magic[4] = {};
  auto n = PreadFull(fd->get(), magic, sizeof(magic), 0, path);
  static constexpr uint8_t kZstdMagic[4] = {0x28, 0xb5, 0x2f, 0xfd};
  return n.ok() && *n == sizeof(magic) && std::equal(magic, magic + 4, kZstdMagic);
}

Expected<std::string> UnpackTraceArchive(const std::string& archive_path,
                                         const std::string& cache_root) {
  ASSIGN_OR_RETURN(std::string key, HashArchive(archive_path));
  std::error_code ec;
  fs::create_directories(cache_root, ec);
  if (ec) return Error("creating " + cache_root + ": " + ec.message());
  // The cache may hold traces of programs that read secrets: ours alone.
  if (chmod(cache_root.c_str(), 0700) != 0) return ErrnoError("chmod of " + cache_root);
  std::string dest = cache_root + "/" + key;
  if (PathExists(dest + "/" + kHeaderFileName)) return dest;
  std::string temp = cache_root + "/.tmp-" + key + "-" + std::to_string(getpid());
  fs::remove_all(temp, ec);
  if (mkdir(temp.c_str(), 0700) != 0) return ErrnoError("creating " + temp);
  Status status = ExtractAll(archive_path, temp);
  if (status.ok() && rename(temp.c_str(), dest.c_str()) != 0) {
    // Another rewind unpacked the same archive meanwhile: use its copy.
    if (!PathExists(dest + "/" + kHeaderFileName)) {
      status = ErrnoError("renaming " + temp + " to " + dest);
    }
  }
  fs::remove_all(temp, ec);
  if (!status.ok()) return status;
  return dest;
}

}  // namespace rwd::trace
