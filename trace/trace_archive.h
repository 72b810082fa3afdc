// TraceArchive: a trace directory as one self-contained file (`rewind pack
// -o`, `rewind ci`), and back.
//
// The file is a POSIX tar archive compressed with zstd, written and read by
// libarchive; its entries are the trace directory's files as they are
// (header, events, complete, files/...), whatever files/ holds, under
// relative paths. Anyone can inspect it with `tar --zstd -tvf FILE`.
//
// Unpacking goes into a private cache (directories 0700, files 0600 or 0700
// when executable), one directory per archive named by the xxh3-128 of the
// archive's bytes, so the same artifact is unpacked once however often it is
// replayed. Entries other than plain files and directories, absolute paths
// and ".." are refused: an archive may come from anywhere. Extraction goes
// to a temporary directory renamed into place, so an interrupted unpack
// never leaves a half trace under the key.
//
// Plain functions; no state.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace rwd::trace {

// Extension given to packed traces (the format does not depend on it).
inline constexpr char kArchiveExtension[] = ".rewind";

// Writes the trace directory `dir` to `archive_path` (through a temporary
// name beside it, renamed at the end). Returns the archive's size in bytes.
Expected<uint64_t> PackTraceDir(const std::string& dir, const std::string& archive_path);

// True when `path` is a regular file that starts like a zstd frame or a
// plain tar, i.e. something PackTraceDir could have written.
bool LooksLikeTraceArchive(const std::string& path);

// Unpacks `archive_path` under `cache_root` (created 0700 if needed) unless
// an earlier unpack of the same bytes is there; returns the trace directory.
Expected<std::string> UnpackTraceArchive(const std::string& archive_path,
                                         const std::string& cache_root);

}  // namespace rwd::trace
