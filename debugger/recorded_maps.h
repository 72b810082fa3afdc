// RecordedMaps: the /proc/PID/maps gdb reads for `info proc mappings`, as
// the recorded program saw its address space.
//
// The replayed process has the recorded layout (replay reproduces every
// mapping at its address), but two things in its real maps are rewind's:
//   - file mappings name the trace's copies (~/.cache/rewind/files/HASH,
//     the staged executable) instead of the paths the program mapped;
//   - the trampoline pages of in-process probes (core/probe_stub.h) exist
//     only in replay; the program never had them and cannot reach them;
//   - the syscall buffer library and its pages (preload/syscallbuf_abi.h)
//     were rewind's when recording too: without rewind the program has
//     none of them.
// gdb users compare these maps with addresses the program printed and with
// the files it opened, so both are shown as recorded: copies under their
// recorded paths, rewind's pages left out. Everything else (heap, stack, vdso,
// anonymous mappings) is the replayed process's own and shown as it is.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rwd::debugger {

struct MapsTranslation {
  // Host path of a trace copy -> the path the program mapped.
  std::map<std::string, std::string> recorded_path_of;
  // [start, end) ranges that are rewind's, not the program's.
  std::vector<std::pair<uint64_t, uint64_t>> hidden;
  // Host paths whose mappings are rewind's.
  std::set<std::string> hidden_paths;
};

// `live_maps` is the text of /proc/PID/maps of the replayed process; lines
// come back in the same format, translated.
std::string RecordedMaps(std::string_view live_maps, const MapsTranslation& translation);

}  // namespace rwd::debugger
