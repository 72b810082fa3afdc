#include "replayer/shared_file_copies.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "base/hex.h"
#include "core/proc_maps.h"
#include "core/remote_syscall.h"
#include "replayer/inject_mprotect.h"

namespace rwd::replayer {

namespace {

constexpr size_t kChunkBytes = 1 << 20;
constexpr char kWhy[] = "a checkpoint's own copy of a shared file";

Expected<uint64_t> SizeOf(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoError("stat of a shared file's copy");
  return static_cast<uint64_t>(st.st_size);
}

// Where data starts at or after `offset` (`size` when only a hole is left,
// `offset` where the filesystem does not report holes). Copies of huge
// sparse files (a database's 100 GiB file) are walked hole by hole, never
// read or held in memory whole.
uint64_t NextData(int fd, uint64_t offset, uint64_t size) {
  off_t at = lseek(fd, static_cast<off_t>(offset), SEEK_DATA);
  if (at < 0) return errno == ENXIO ? size : offset;
  return std::min<uint64_t>(static_cast<uint64_t>(at), size);
}

Expected<size_t> ReadChunk(int fd, uint8_t* buf, size_t n, uint64_t at) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = pread(fd, buf + done, n - done, static_cast<off_t>(at + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return ErrnoError("reading a shared file's copy");
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

// Whether the files at `a` and `b` hold the same bytes.
Expected<bool> SameContents(int a, int b) {
  ASSIGN_OR_RETURN(uint64_t size, SizeOf(a));
  ASSIGN_OR_RETURN(uint64_t size_b, SizeOf(b));
  if (size != size_b) return false;
  std::vector<uint8_t> x(kChunkBytes), y(kChunkBytes);
  uint64_t at = 0;
  while (at < size) {
    at = std::min(NextData(a, at, size), NextData(b, at, size));  // holes in both match
    if (at >= size) break;
    size_t n = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, size - at));
    ASSIGN_OR_RETURN(size_t got_a, ReadChunk(a, x.data(), n, at));
    ASSIGN_OR_RETURN(size_t got_b, ReadChunk(b, y.data(), n, at));
    if (got_a != n || got_b != n || memcmp(x.data(), y.data(), n) != 0) return false;
    at += n;
  }
  return true;
}

// Copies `from` into the empty `to`, holes kept as holes.
Status CopySparse(int from, int to) {
  ASSIGN_OR_RETURN(uint64_t size, SizeOf(from));
  std::vector<uint8_t> buf(kChunkBytes);
  uint64_t at = 0;
  while ((at = NextData(from, at, size)) < size) {
    off_t hole = lseek(from, static_cast<off_t>(at), SEEK_HOLE);
    uint64_t end = hole < 0 ? size : std::min<uint64_t>(static_cast<uint64_t>(hole), size);
    if (end <= at) end = size;
    while (at < end) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, end - at));
      ASSIGN_OR_RETURN(size_t got, ReadChunk(from, buf.data(), n, at));
      if (got == 0) return Error("a shared file's copy shrank while it was copied");
      for (size_t done = 0; done < got;) {
        ssize_t w = pwrite(to, buf.data() + done, got - done, static_cast<off_t>(at + done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return ErrnoError("filling a writable copy of a shared file");
        done += static_cast<size_t>(w);
      }
      at += got;
    }
  }
  if (ftruncate(to, static_cast<off_t>(size)) != 0) {
    return ErrnoError("sizing a writable copy of a shared file");
  }
  return Status::Ok();
}

// An empty copy of the file the recording mapped at `mapped_path`, named
// after it (in /proc/PID/maps), filled from `source`.
Expected<ScopedFd> CopyOf(const std::string& mapped_path, int source) {
  ScopedFd memfd(
      memfd_create(("rewind-shared:" + mapped_path).substr(0, 249).c_str(), MFD_CLOEXEC));
  if (!memfd.valid()) return ErrnoError("creating a writable copy of " + mapped_path);
  RETURN_IF_ERROR(CopySparse(source, memfd.get()));
  return memfd;
}

std::string PathOf(int fd) {
  return "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(fd);
}

}  // namespace

Expected<std::string> SharedFileCopies::PathFor(const std::string& mapped_path,
                                                const std::string& trace_copy, bool writable) {
  ScopedFd source(open(trace_copy.c_str(), O_RDONLY | O_CLOEXEC));
  if (!source.valid()) return ErrnoError("opening the trace's copy of " + mapped_path);
  auto it = copies_.find(mapped_path);
  if (it != copies_.end()) {
    ASSIGN_OR_RETURN(bool same, SameContents(source.get(), it->second.get()));
    if (same) return PathOf(it->second.get());
  }
  if (!writable) return std::string();
  ASSIGN_OR_RETURN(ScopedFd memfd, CopyOf(mapped_path, source.get()));
  std::string path = PathOf(memfd.get());
  copies_[mapped_path] = std::move(memfd);
  return path;
}

Status SharedFileCopies::Write(const trace::FileWrite& write) {
  auto it = copies_.find(write.path);
  if (it == copies_.end()) {
    // The recorder asks for a writable copy at each such file's mmap
    // (SyscallEvent::mapped_file_writable); a snapshot restores none.
    return Status(ErrorCode::kUnsupported,
                  "the recording wrote to " + write.path +
                      ", which it maps shared, and replay has no writable copy of it here");
  }
  size_t done = 0;
  while (done < write.bytes.size()) {
    ssize_t w = pwrite(it->second.get(), write.bytes.data() + done, write.bytes.size() - done,
                       static_cast<off_t>(write.offset + done));
    if (w <= 0) return ErrnoError("writing into the copy of " + write.path);
    done += static_cast<size_t>(w);
  }
  struct stat st;
  if (fstat(it->second.get(), &st) != 0) return ErrnoError("stat of the copy of " + write.path);
  if (static_cast<uint64_t>(st.st_size) != write.size_after &&
      ftruncate(it->second.get(), static_cast<off_t>(write.size_after)) != 0) {
    return ErrnoError("resizing the copy of " + write.path);
  }
  return Status::Ok();
}

Expected<SharedFileCopies::Duplicate> SharedFileCopies::Duplicated() const {
  Duplicate out;
  out.copies = std::make_shared<SharedFileCopies>();
  for (const auto& [path, fd] : copies_) {
    ASSIGN_OR_RETURN(ScopedFd memfd, CopyOf(path, fd.get()));
    struct stat st;
    if (fstat(fd.get(), &st) != 0) return ErrnoError("stat of the copy of " + path);
    out.moved[st.st_ino] = PathOf(memfd.get());
    out.copies->copies_[path] = std::move(memfd);
  }
  return out;
}

Status GiveCopiesTo(const SharedFileCopies::Duplicate& duplicate, Tracee& copy,
                    uint64_t syscall_insn) {
  if (duplicate.moved.empty()) return Status::Ok();
  // At a signal stop the siginfo is what a resume delivers: keep it.
  Expected<std::vector<uint8_t>> siginfo = copy.GetSiginfo();
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(copy.tid()));
  const arch::SyscallTable& table = copy.arch().syscalls();
  for (const MemoryMapping& m : maps) {
    auto moved = duplicate.moved.find(m.inode);
    if (!m.shared || moved == duplicate.moved.end() || !m.path.starts_with("/memfd:")) continue;
    ASSIGN_OR_RETURN(uint64_t path, PushScratchString(copy, moved->second));
    SyscallArgs open_args;
    open_args.v = {static_cast<uint64_t>(AT_FDCWD), path, O_RDWR | O_CLOEXEC, 0, 0, 0};
    ASSIGN_OR_RETURN(
        int64_t fd,
        InjectSyscallByStep(copy, syscall_insn, table.FindByName("openat")->nr, open_args, kWhy));
    if (fd < 0) return SystemError("opening a checkpoint's copy of a shared file", -fd);
    SyscallArgs map_args;
    map_args.v = {
        m.start, m.end - m.start, m.prot, MAP_SHARED | MAP_FIXED, static_cast<uint64_t>(fd),
        m.offset};
    ASSIGN_OR_RETURN(
        int64_t mapped,
        InjectSyscallByStep(copy, syscall_insn, table.FindByName("mmap")->nr, map_args, kWhy));
    SyscallArgs close_args;
    close_args.v = {static_cast<uint64_t>(fd), 0, 0, 0, 0, 0};
    RETURN_IF_ERROR(
        InjectSyscallByStep(copy, syscall_insn, table.FindByName("close")->nr, close_args, kWhy)
            .status());
    if (mapped != static_cast<int64_t>(m.start)) {
      return SystemError("mapping a checkpoint's copy of a shared file at " + Hex(m.start),
                         static_cast<int>(-mapped));
    }
  }
  if (siginfo.ok()) RETURN_IF_ERROR(copy.SetSiginfo(*siginfo));
  return Status::Ok();
}

}  // namespace rwd::replayer
