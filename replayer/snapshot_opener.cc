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

Expected<std::unique_ptr<ReplaySession>> SnapshotOpener::Open(const std::vector<uint32_t>& seqs) {
  std::vector<const trace::Snapshot*> set;
  for (uint32_t seq : seqs) {
    ASSIGN_OR_RETURN(const trace::DecodedSnapshot* snap, library_.Load(seq));
    set.push_back(&snap->snapshot);
  }
  return ReplaySession::OpenAtSnapshot(options_, set, library_);
}

Expected<std::unique_ptr<Execution>> SnapshotOpener::OpenLatest(uint64_t after, uint64_t upto) {
  if (!headers_) RETURN_IF_ERROR(ReadHeaders());
  // Latest first; the snapshots of one event are one set, one per process.
  for (size_t i = 0; i < headers_->size();) {
    const trace::SnapshotHeader& h = (*headers_)[i];
    std::vector<uint32_t> seqs;
    for (; i < headers_->size() && (*headers_)[i].event == h.event; ++i) {
      seqs.push_back((*headers_)[i].seq);
    }
    if (h.event <= after || h.event > upto || unusable_.count(h.event)) continue;
    std::sort(seqs.begin(), seqs.end());
    Expected<std::unique_ptr<ReplaySession>> session = Open(seqs);
    if (session.ok()) {
      ++stats_.opened;
      return std::unique_ptr<Execution>(new ReplayExecution(std::move(*session)));
    }
    ++stats_.refused;
    unusable_.insert(h.event);
    fprintf(stderr, "rewind: snapshot %u (event %llu) is not used: %s\n", seqs.front(),
            static_cast<unsigned long long>(h.event), session.status().message().c_str());
  }
  return std::unique_ptr<Execution>();
}

}  // namespace rwd::replayer
