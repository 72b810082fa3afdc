#include "recorder/mapped_file_writes.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <limits>
#include <sstream>

#include "base/scoped_fd.h"

namespace rwd::recorder {

namespace {

struct FdInfo {
  uint64_t pos = 0;
  int flags = 0;  // open's flags, O_ACCMODE included
};

std::string FdPath(pid_t tid, int fd, const char* dir) {
  return "/proc/" + std::to_string(tid) + "/" + dir + "/" + std::to_string(fd);
}

Expected<FdInfo> ReadFdInfo(pid_t tid, int fd) {
  std::ifstream in(FdPath(tid, fd, "fdinfo"));
  if (!in) return ErrnoError("reading " + FdPath(tid, fd, "fdinfo"));
  FdInfo info;
  std::string key;
  while (in >> key) {
    if (key == "pos:") {
      in >> info.pos;
    } else if (key == "flags:") {
      in >> std::oct >> info.flags >> std::dec;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return info;
}

// Calls that change the file's size only.
bool Resizes(std::string_view name) { return name == "ftruncate" || name == "fallocate"; }

// Where in the file syscall `name` wrote, given the fd's position after it.
std::optional<uint64_t> WriteOffset(std::string_view name, const std::array<uint64_t, 6>& args,
                                    int64_t result, uint64_t pos_after) {
  if (Resizes(name)) return 0;
  if (result <= 0) return std::nullopt;
  const uint64_t written = static_cast<uint64_t>(result);
  if (name == "write" || name == "writev") return pos_after - written;
  if (name == "pwrite64" || name == "pwritev") return args[3];
  // pwritev2's offset -1: at the fd's position, like writev.
  if (name == "pwritev2") return args[3] == UINT64_MAX ? pos_after - written : args[3];
  return std::nullopt;
}

Expected<std::optional<trace::FileWrite>> None() { return std::optional<trace::FileWrite>(); }

}  // namespace

Expected<bool> OpenedForWriting(pid_t tid, int fd) {
  ASSIGN_OR_RETURN(FdInfo info, ReadFdInfo(tid, fd));
  return (info.flags & O_ACCMODE) == O_RDWR;
}

Expected<std::optional<trace::FileWrite>> MappedFileWrite(
    pid_t tid, std::string_view name, const std::array<uint64_t, 6>& args, int64_t result,
    const std::map<FileId, std::string>& files) {
  if (result < 0 || !WriteOffset(name, args, result, 0)) return None();
  const int fd = static_cast<int>(args[0]);
  struct stat st;
  if (stat(FdPath(tid, fd, "fd").c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return None();
  auto file = files.find(FileId{st.st_dev, st.st_ino});
  if (file == files.end()) return None();
  ASSIGN_OR_RETURN(FdInfo info, ReadFdInfo(tid, fd));
  trace::FileWrite landed;
  landed.path = file->second;
  landed.offset = *WriteOffset(name, args, result, info.pos);
  landed.size_after = static_cast<uint64_t>(st.st_size);
  if (Resizes(name)) return Expected<std::optional<trace::FileWrite>>(std::move(landed));
  // The file holds what the call wrote (the program runs no other thread
  // meanwhile); reading it back covers every form of the call alike.
  ScopedFd reader(open(FdPath(tid, fd, "fd").c_str(), O_RDONLY | O_CLOEXEC));
  if (!reader.valid()) return ErrnoError("opening " + landed.path + " to read what was written");
  landed.bytes.resize(static_cast<size_t>(result));
  ssize_t got = pread(reader.get(), landed.bytes.data(), landed.bytes.size(),
                      static_cast<off_t>(landed.offset));
  if (got < 0) return ErrnoError("reading back what was written to " + landed.path);
  landed.bytes.resize(static_cast<size_t>(got));
  return Expected<std::optional<trace::FileWrite>>(std::move(landed));
}

}  // namespace rwd::recorder
