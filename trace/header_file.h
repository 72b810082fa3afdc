// The trace `header` file: magic "RWNDTRC\0", u32 little-endian format
// version, the serialized TraceHeader, then an xxh64 of everything before it.
//
// The version is checked before the rest is parsed, so a trace from another
// format version is reported as kVersion (with both versions in the message)
// rather than as corrupt. TraceHeader::format_version is not serialized in
// the body; it is filled from the file's version field.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "trace/header.h"

namespace rwd::trace {

inline constexpr char kHeaderMagic[8] = {'R', 'W', 'N', 'D',
                                         'T', 'R', 'C', '\0'};

// The whole file's bytes, written with kFormatVersion.
std::vector<uint8_t> SerializeHeaderFile(const TraceHeader& header);

// Parses a header file's bytes; `dir` names the trace in messages.
Expected<TraceHeader> ParseHeaderFile(std::span<const uint8_t> bytes,
                                      const std::string& dir);

Status WriteHeaderFile(const std::string& dir, const TraceHeader& header);
// kNotFound when `dir` has no header file.
Expected<TraceHeader> ReadHeaderFile(const std::string& dir);

}  // namespace rwd::trace
