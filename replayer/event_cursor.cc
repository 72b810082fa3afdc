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

Status EventCursor::DivergedAt(uint64_t event, const std::string& thread, const std::string& what) {
  const std::string who = thread.empty() ? "" : " (" + thread + ")";
  return Status(ErrorCode::kDivergence, "replay diverged from the recording at event " +
                                            std::to_string(event) + who + ": " + what);
}

}  // namespace rwd::replayer
