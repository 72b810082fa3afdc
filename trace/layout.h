// Names inside a trace directory, shared by TraceWriter and TraceReader (see
// trace_writer.h for what each holds). Part of the on-disk format.
#pragma once

namespace rwd::trace {

inline constexpr char kHeaderFileName[] = "header";
inline constexpr char kEventsFileName[] = "events";
inline constexpr char kFilesDirName[] = "files";
inline constexpr char kCompleteFileName[] = "complete";

}  // namespace rwd::trace
