// ThreadTable: the replay's live threads, each standing in for a recorded
// one, in creation order. Events name recorded tids; Find maps them to the
// ReplayTask that replays them (and so to the live thread). The table owns
// the tasks; a pointer to one stays valid until it is removed.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <vector>

#include "replayer/replay_task.h"

namespace rwd::replayer {

class ThreadTable {
 public:
  using List = std::vector<std::unique_ptr<ReplayTask>>;

  ReplayTask& Add(std::unique_ptr<ReplayTask> task);
  // The thread replaying recorded thread `recorded_tid`; nullptr if none.
  ReplayTask* Find(RecordedTid recorded_tid) const;
  // A live thread of `mm` to read and write its memory through: `preferred`
  // when it runs there, else the first that is not a zombie; nullptr if none.
  Tracee* AnyIn(const AddressSpace& mm, ReplayTask* preferred) const;
  void Remove(const ReplayTask* task);
  // Removes every thread `drop` returns true for.
  void RemoveIf(const std::function<bool(const ReplayTask&)>& drop);

  bool empty() const { return tasks_.empty(); }
  size_t size() const { return tasks_.size(); }
  ReplayTask& front() const { return *tasks_.front(); }
  List::const_iterator begin() const { return tasks_.begin(); }
  List::const_iterator end() const { return tasks_.end(); }

 private:
  List tasks_;
};

}  // namespace rwd::replayer
