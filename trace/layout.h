// Names inside a trace directory, shared by TraceWriter and TraceReader (see
// trace_writer.h for what each holds), and the modes they get. Part of the
// on-disk format.
#pragma once

#include <sys/types.h>

namespace rwd::trace {

inline constexpr char kHeaderFileName[] = "header";
inline constexpr char kEventsFileName[] = "events";
inline constexpr char kFilesDirName[] = "files";
inline constexpr char kCompleteFileName[] = "complete";
// Optional: snapshots/<seq> (trace/snapshot_store.h); traces without it
// replay from their first event.
inline constexpr char kSnapshotsDirName[] = "snapshots";
// files/<id> holds a copy as is, files/<id>.zst a zstd-compressed one.
inline constexpr char kCompressedSuffix[] = ".zst";

// A trace holds the environment and every byte the program read: it is
// private to its owner whatever the umask (umask only ever removes bits).
inline constexpr mode_t kTraceDirMode = 0700;
inline constexpr mode_t kTraceFileMode = 0600;

}  // namespace rwd::trace
