// CheckpointSet: the bookkeeping of checkpoints, apart from the processes
// they hold, so it can be tested without tracees. Entries are ordered by
// event; automatic entries beyond a limit are thinned so that the rest stay
// evenly spread (the first entry, the start of history, is never dropped).
//
// `T` is what an entry carries (a frozen Execution in the Timeline).
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

namespace rwd::replayer {

struct CheckpointInfo {
  int id = 0;
  uint64_t event = 0;
  std::string name;      // empty for automatic ones
  bool automatic = true;
  bool boundary = true;  // taken exactly at an event boundary
};

template <typename T>
class CheckpointSet {
 public:
  struct Entry {
    CheckpointInfo info;
    T value;
  };

  explicit CheckpointSet(size_t max_automatic) : max_automatic_(max_automatic) {}

  // Adds an entry after any with the same event; returns its id.
  int Add(uint64_t event, std::string name, bool automatic, bool boundary, T value) {
    Entry e{CheckpointInfo{next_id_++, event, std::move(name), automatic, boundary},
            std::move(value)};
    auto at = std::upper_bound(entries_.begin(), entries_.end(), event,
                               [](uint64_t ev, const Entry& c) { return ev < c.info.event; });
    entries_.insert(at, std::move(e));
    Thin();
    return next_id_ - 1;
  }

  // The latest entry that precedes every point of `event`: one at an earlier
  // event, or at `event` itself if taken at its boundary. The first entry
  // when none qualifies. Requires a non-empty set.
  const Entry& LatestBefore(uint64_t event) const {
    const Entry* best = &entries_.front();
    for (const Entry& e : entries_) {
      if (e.info.event < event || (e.info.event == event && e.info.boundary)) best = &e;
    }
    return *best;
  }

  const Entry* Find(const std::string& id_or_name) const {
    for (const Entry& e : entries_) {
      if (std::to_string(e.info.id) == id_or_name || (!e.info.name.empty() && e.info.name == id_or_name)) {
        return &e;
      }
    }
    return nullptr;
  }

  bool IsFirst(const Entry& e) const { return !entries_.empty() && &e == &entries_.front(); }
  const std::vector<Entry>& entries() const { return entries_; }
  std::vector<CheckpointInfo> Infos() const {
    std::vector<CheckpointInfo> out;
    for (const Entry& e : entries_) out.push_back(e.info);
    return out;
  }

 private:
  void Thin() {
    auto automatic = [](const Entry& e) { return e.info.automatic; };
    while (static_cast<size_t>(std::count_if(entries_.begin() + (entries_.empty() ? 0 : 1),
                                              entries_.end(), automatic)) > max_automatic_) {
      // Drop the automatic entry closest to its predecessor.
      size_t victim = 0;
      uint64_t best_gap = UINT64_MAX;
      for (size_t i = 1; i < entries_.size(); ++i) {
        if (!automatic(entries_[i])) continue;
        uint64_t gap = entries_[i].info.event - entries_[i - 1].info.event;
        if (gap < best_gap) {
          best_gap = gap;
          victim = i;
        }
      }
      if (victim == 0) return;
      entries_.erase(entries_.begin() + static_cast<long>(victim));
    }
  }

  size_t max_automatic_;
  int next_id_ = 1;
  std::vector<Entry> entries_;
};

}  // namespace rwd::replayer
