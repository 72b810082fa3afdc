// Where traces live when the user names none: $XDG_DATA_HOME/rewind/traces
// (default ~/.local/share/rewind/traces), one directory per recording named
// <program>-<N>, and a `latest` symlink to the newest, as rr does.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "trace/trace_reader.h"

namespace rwd::cli {

std::string TracesRoot();
// Where packed traces are unpacked to be read: $XDG_CACHE_HOME/rewind/unpacked
// (default ~/.cache/rewind/unpacked), private to the user.
std::string UnpackCacheRoot();
// Creates the root if needed and picks a fresh directory name for `program`.
Expected<std::string> NewTraceDir(const std::string& program);
// A directory whose `header` file starts with the trace magic: what `ls`
// lists and `rm` agrees to delete.
bool IsTraceDir(const std::string& dir);
// Points `latest` at `dir`.
void UpdateLatest(const std::string& dir);
// The trace the user meant: `arg` if given, else the latest recording. A
// packed trace (a file from `rewind pack -o` or `rewind ci`) is unpacked
// into the cache and that directory returned.
Expected<std::string> ResolveTraceDir(const std::string& arg);
// That trace, opened for reading.
Expected<std::unique_ptr<trace::TraceReader>> OpenTrace(const std::string& arg);

}  // namespace rwd::cli
