// EventCursor: where a replay stands in the trace's event stream, and the
// divergence reports that name that place.
//
// The cursor reads each event once, when replay first asks for it (Peek),
// and keeps it until the replay of it is done (Consume). The reader is
// shared with the session's checkpoints and with probes that scan ahead;
// each cursor seeks back to its own place before reading. Copying a cursor
// gives a checkpoint the same place.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "trace/trace_reader.h"

namespace rwd::replayer {

class EventCursor {
 public:
  explicit EventCursor(std::shared_ptr<trace::TraceReader> reader) : reader_(std::move(reader)) {}

  // The next event to replay; nullptr past the last one.
  Expected<const trace::Event*> Peek();
  // The peeked event is replayed: the next Peek reads the one after it.
  void Consume() { next_.reset(); }
  // As if events [0, `replayed`) had been replayed (a replay restored from
  // a snapshot taken there): the next Peek reads event `replayed`.
  void MoveTo(uint64_t replayed) {
    read_ = replayed;
    next_.reset();
  }
  // The first event of thread `tid` after the peeked one (after the last
  // consumed one if none is peeked), looking at most `limit` events ahead;
  // nullopt if there is none that near.
  Expected<std::optional<trace::Event>> NextOfThread(int32_t tid, uint64_t limit);
  // Number of events replayed so far.
  uint64_t event_number() const { return read_ - (next_ ? 1 : 0); }

  // A kDivergence error: replay diverged at event `event`, in `thread`
  // ("thread 12, live 3456"; may be empty), because of `what`.
  static Status DivergedAt(uint64_t event, const std::string& thread, const std::string& what);

 private:
  std::shared_ptr<trace::TraceReader> reader_;
  uint64_t read_ = 0;  // number of the next event to read from reader_
  std::optional<trace::Event> next_;
};

}  // namespace rwd::replayer
