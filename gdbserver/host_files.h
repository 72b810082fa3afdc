// HostFiles: the files gdb opened with vFile:open, read-only.
//
// gdb reads the executable and libraries through vFile when it cannot (or
// should not) assume its own filesystem has them. Paths are translated by
// DebugTarget::HostPathFor, so gdb reads the bytes the recording mapped even
// if the original file changed since. Writes, creation and truncation are
// refused: replay never changes anything.
//
// Handles are small integers local to this table, not host fds, so a peer
// cannot name a descriptor the server did not open for it. Results use the
// File-I/O extension's formats: "F<result>[;attachment]" and
// "F-1,<errno>" with errno in gdb's fileio numbering. Closes everything on
// destruction. Single-threaded.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "base/scoped_fd.h"

namespace rwd::gdbserver {

class HostFiles {
 public:
  static constexpr size_t kMaxOpen = 64;

  // `host_path` is already translated. `fileio_flags` uses gdb's fileio
  // values (O_WRONLY 1, O_RDWR 2, O_APPEND 8, O_CREAT 0x200, ...).
  std::string Open(const std::string& host_path, uint64_t fileio_flags);
  // Opens a file made of `contents` (DebugTarget::GeneratedFile), with the
  // same refusal of writes.
  std::string OpenContents(const std::string& contents, uint64_t fileio_flags);
  // At most `max_count` bytes are returned whatever `count` asks.
  std::string Pread(int64_t handle, uint64_t count, uint64_t offset, size_t max_count);
  std::string Close(int64_t handle);
  std::string Fstat(int64_t handle);

  size_t open_count() const { return files_.size(); }

 private:
  std::string Add(ScopedFd fd);

  std::map<int64_t, ScopedFd> files_;
  int64_t next_handle_ = 1;
};

// Linux errno -> gdb fileio errno (FILEIO_E*; 9999 = unknown).
int FileioErrno(int linux_errno);

}  // namespace rwd::gdbserver
