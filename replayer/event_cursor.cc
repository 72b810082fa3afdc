#include "replayer/event_cursor.h"

namespace rwd::replayer {

Expected<const trace::Event*> EventCursor::Peek() {
  if (!next_) {
    if (reader_->position() != read_) RETURN_IF_ERROR(reader_->Seek(read_));
    ASSIGN_OR_RETURN(std::optional<trace::Event> ev, reader_->Next());
    if (!ev) return nullptr;
    ++read_;
    next_ = std::move(ev);
  }
  return &*next_;
}

Expected<std::optional<trace::Event>> EventCursor::NextOfThread(int32_t tid, uint64_t limit) {
  // Peek seeks back to read_ before its next read.
  if (reader_->position() != read_) RETURN_IF_ERROR(reader_->Seek(read_));
  for (uint64_t i = 0; i < limit; ++i) {
    ASSIGN_OR_RETURN(std::optional<trace::Event> ev, reader_->Next());
    if (!ev || ev->tid == tid) return ev;
  }
  return std::optional<trace::Event>();
}

Status EventCursor::DivergedAt(uint64_t event, const std::string& thread, const std::string& what) {
  const std::string who = thread.empty() ? "" : " (" + thread + ")";
  return Status(ErrorCode::kDivergence, "replay diverged from the recording at event " +
                                            std::to_string(event) + who + ": " + what);
}

}  // namespace rwd::replayer
