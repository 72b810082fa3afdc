#include "replayer/thread_table.h"

#include <algorithm>

namespace rwd::replayer {

ReplayTask& ThreadTable::Add(std::unique_ptr<ReplayTask> task) {
  tasks_.push_back(std::move(task));
  return *tasks_.back();
}

ReplayTask* ThreadTable::Find(RecordedTid recorded_tid) const {
  for (const auto& t : tasks_) {
    if (t->recorded_tid() == recorded_tid) return t.get();
  }
  return nullptr;
}

Tracee* ThreadTable::AnyIn(const AddressSpace& mm, ReplayTask* preferred) const {
  if (preferred && preferred->mm.get() == &mm) return &preferred->tracee;
  for (const auto& t : tasks_) {
    if (t->mm.get() == &mm && !t->zombie) return &t->tracee;
  }
  return nullptr;
}

void ThreadTable::Remove(const ReplayTask* task) {
  std::erase_if(tasks_, [&](const auto& t) { return t.get() == task; });
}

void ThreadTable::RemoveIf(const std::function<bool(const ReplayTask&)>& drop) {
  std::erase_if(tasks_, [&](const auto& t) { return drop(*t); });
}

}  // namespace rwd::replayer
