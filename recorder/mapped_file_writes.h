// Writes into files the program maps MAP_SHARED.
//
// A shared mapping of a file shows at once what write() puts into the file
// (sqlite and LMDB read their database through such a mapping and write it
// with pwrite). Replay emulates the write and maps a copy of the file, so
// the recorder says where the bytes landed (SyscallEvent::file_writes) and
// replay puts them into its writable copy of the mapping.
//
// Only processes that map a file they opened for writing pay: a stat of the
// fd after each of their write-family calls, and their syscall buffers send
// writes to regular files to the tracer (rwd_sb_header::trace_file_writes).
// Not covered: sendfile, splice and copy_file_range into such a file,
// fallocate's hole punching, truncate by path, and writes by processes
// that do not map the file themselves.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "recorder/file_id.h"
#include "trace/event.h"

namespace rwd::recorder {

// Whether fd `fd` of thread `tid` was opened for reading and writing.
Expected<bool> OpenedForWriting(pid_t tid, int fd);

// For syscall `name` (write, pwrite64, writev, pwritev, pwritev2,
// ftruncate, fallocate; others give nullopt) that returned `result` on fd
// args[0] of thread `tid`: what it did to one of `files` (FileId -> mapped
// path), the bytes read back from the file, if that fd is one of them.
Expected<std::optional<trace::FileWrite>> MappedFileWrite(
    pid_t tid, std::string_view name, const std::array<uint64_t, 6>& args, int64_t result,
    const std::map<FileId, std::string>& files);

}  // namespace rwd::recorder
