#include "replayer/snapshot_opener.h"

#include <algorithm>
#include <cstdio>

#include "replayer/replay_execution.h"

namespace rwd::replayer {

SnapshotOpener::SnapshotOpener(ReplayOptions options)
    : options_(std::move(options)), library_(options_.trace_dir) {}

Status SnapshotOpener::ReadHeaders() {
  ASSIGN_OR_RETURN(std::vector<trace::SnapshotListing> listed,
                   trace::ListSnapshots(options_.trace_dir));
  headers_.emplace();
  for (const trace::SnapshotListing& l : listed) {
    if (l.header.ok()) {
      headers_->push_back(*l.header);
      if (!l.name.empty()) bookmarks_.push_back({l.name, l.header->event, l.pid, l.header->seq});
      continue;
    }
    ++stats_.refused;
    fprintf(stderr, "rewind: snapshot file %s is not used: %s\n", l.path.c_str(),
            l.header.status().message().c_str());
  }
  std::sort(headers_->begin(), headers_->end(),
            [](const auto& a, const auto& b) { return a.event > b.event; });
  return Status::Ok();
}

Expected<std::vector<TraceBookmark>> SnapshotOpener::Bookmarks() {
  if (!headers_) RETURN_IF_ERROR(ReadHeaders());
  return bookmarks_;
}

Expected<std::unique_ptr<ReplaySession>> SnapshotOpener::Open(uint32_t seq) {
  ASSIGN_OR_RETURN(const trace::DecodedSnapshot* snap, library_.Load(seq));
  return ReplaySession::OpenAtSnapshot(options_, snap->snapshot, library_);
}

Expected<std::unique_ptr<Execution>> SnapshotOpener::OpenLatest(uint64_t after, uint64_t upto) {
  if (!headers_) RETURN_IF_ERROR(ReadHeaders());
  for (const trace::SnapshotHeader& h : *headers_) {
    if (h.event <= after || h.event > upto || unusable_.count(h.seq)) continue;
    Expected<std::unique_ptr<ReplaySession>> session = Open(h.seq);
    if (session.ok()) {
      ++stats_.opened;
      return std::unique_ptr<Execution>(new ReplayExecution(std::move(*session)));
    }
    ++stats_.refused;
    unusable_.insert(h.seq);
    fprintf(stderr, "rewind: snapshot %u (event %llu) is not used: %s\n", h.seq,
            static_cast<unsigned long long>(h.event), session.status().message().c_str());
  }
  return std::unique_ptr<Execution>();
}

}  // namespace rwd::replayer
