#include "gdbserver/thread_id.h"

#include <limits>

#include "gdbserver/hex.h"

namespace rwd::gdbserver {
namespace {

std::optional<int64_t> ParseId(std::string_view text) {
  std::optional<int64_t> value = ParseHexI64(text);
  if (!value || *value < -1 || *value > std::numeric_limits<int32_t>::max()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

std::optional<ThreadId> ParseThreadId(std::string_view text) {
  ThreadId id;
  if (text.empty() || text.front() != 'p') {
    std::optional<int64_t> tid = ParseId(text);
    if (!tid) return std::nullopt;
    id.tid = *tid;
    return id;
  }
  text.remove_prefix(1);
  size_t dot = text.find('.');
  std::optional<int64_t> pid = ParseId(text.substr(0, dot));
  if (!pid) return std::nullopt;
  id.pid = *pid;
  if (dot == std::string_view::npos) {
    id.tid = ThreadId::kAll;
    return id;
  }
  std::optional<int64_t> tid = ParseId(text.substr(dot + 1));
  if (!tid) return std::nullopt;
  id.tid = *tid;
  return id;
}

std::string FormatThreadId(int pid, int tid, bool multiprocess) {
  std::string text = multiprocess ? "p" + HexNumber(static_cast<uint32_t>(pid)) + "." : "";
  return text + HexNumber(static_cast<uint32_t>(tid));
}

}  // namespace rwd::gdbserver
