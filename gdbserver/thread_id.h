// ThreadId: a thread as gdb names it on the wire.
//
// Without the multiprocess extension gdb sends a bare hex tid; with it,
// `p<pid>.<tid>` or `p<pid>` (all threads of pid). In both, -1 means "all"
// and 0 means "any". The server accepts both forms whatever was negotiated
// and formats in the negotiated one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rwd::gdbserver {

struct ThreadId {
  static constexpr int64_t kAll = -1;
  static constexpr int64_t kAny = 0;

  std::optional<int64_t> pid;  // set only in the `p` form
  int64_t tid = kAll;

  // A particular thread (not "all" or "any").
  bool IsSpecific() const { return tid > 0; }
  bool operator==(const ThreadId&) const = default;
};

// nullopt for anything malformed or out of the int32 range Linux uses.
std::optional<ThreadId> ParseThreadId(std::string_view text);

// `p<pid>.<tid>` when multiprocess, else `<tid>`; lower-case hex.
std::string FormatThreadId(int pid, int tid, bool multiprocess);

}  // namespace rwd::gdbserver
