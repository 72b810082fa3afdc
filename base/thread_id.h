// RecordedTid and LiveTid: the two kinds of thread id a replay handles.
//
// Events, positions and the debugger name threads by the ids they had when
// recorded (RecordedTid); the threads that replay them have the ids the
// kernel gave them now (LiveTid), which ptrace and /proc want. The two are
// the same type of number and differ in value, so mixing them up is a bug
// that type checks catch: neither converts to the other or to pid_t
// without value().
#pragma once

#include <sys/types.h>

#include <compare>
#include <string>

namespace rwd {

template <typename Kind>
class ThreadId {
 public:
  constexpr ThreadId() = default;
  constexpr explicit ThreadId(pid_t value) : value_(value) {}

  constexpr pid_t value() const { return value_; }
  // 0 (and the -1 of "no thread") name no thread.
  constexpr bool valid() const { return value_ > 0; }
  std::string ToString() const { return std::to_string(value_); }
  constexpr auto operator<=>(const ThreadId&) const = default;

 private:
  pid_t value_ = 0;
};

struct RecordedKind {};
struct LiveKind {};
using RecordedTid = ThreadId<RecordedKind>;
using LiveTid = ThreadId<LiveKind>;

}  // namespace rwd
