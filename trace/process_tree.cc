#include "trace/process_tree.h"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>
#include <variant>

#include "arch/arch.h"
#include "arch/syscall_table.h"
#include "base/signal_name.h"
#include "trace/event_format.h"

namespace rwd::trace {

namespace {

// clone(2) flags, the same on every Linux architecture.
constexpr uint64_t kCloneParent = 0x8000;
constexpr uint64_t kCloneThread = 0x10000;

// What an event says about processes, apart from the event, so that the
// facts of a thread not created yet can wait for its creation.
struct Creation {
  int32_t child = 0;
  bool thread = false;             // joins the caller's process
  bool parent_is_callers = false;  // CLONE_PARENT: a sibling of the caller
};
struct Exec {
  std::string command;
};
struct Exit {
  int wait_status = 0;
  bool whole_process = true;
};
struct Fact {
  uint64_t event = 0;
  int32_t tid = 0;
  std::variant<Creation, Exec, Exit> what;
};

// A clone-family syscall entered and not returned yet.
struct PendingClone {
  uint64_t event = 0;
  int32_t tid = 0;
  std::optional<size_t> process;  // the caller's, if known at entry
  Creation creation;              // without the child
};

std::string Join(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) {
    if (!out.empty()) out += ' ';
    out += arg;
  }
  return out;
}

bool IsClone(const arch::SyscallInfo* row) {
  return row != nullptr && row->special == arch::Special::kClone;
}

Creation Classify(const arch::Arch& arch, const arch::SyscallInfo& row,
                  const std::array<uint64_t, 6>& args) {
  uint64_t flags = arch::CloneFlags(row, args, arch.CloneArgs().flags);
  return {.thread = (flags & kCloneThread) != 0, .parent_is_callers = (flags & kCloneParent) != 0};
}

class TreeBuilder {
 public:
  TreeBuilder(const arch::Arch& arch, int32_t root_tid, std::string root_command)
      : arch_(arch), syscalls_(arch.syscalls()) {
    ProcessInfo root;
    root.pid = root_tid;
    root.command = std::move(root_command);
    processes_.push_back(std::move(root));
    process_of_[root_tid] = 0;
  }

  void Observe(uint64_t number, const Event& event) {
    if (auto* entry = std::get_if<SyscallEntryEvent>(&event.body)) {
      const arch::SyscallInfo* row = syscalls_.Find(entry->nr);
      if (IsClone(row)) {
        pending_[event.tid] = {.event = number,
                               .tid = event.tid,
                               .process = ProcessOf(event.tid),
                               .creation = Classify(arch_, *row, entry->args)};
      }
    } else if (auto* syscall = std::get_if<SyscallEvent>(&event.body)) {
      pending_.erase(event.tid);  // this is the entered syscall's result
      const arch::SyscallInfo* row = syscalls_.Find(syscall->nr);
      if (IsClone(row) && syscall->result > 0) {
        Creation creation = Classify(arch_, *row, syscall->args);
        creation.child = static_cast<int32_t>(syscall->result);
        Add({number, event.tid, creation});
      }
    } else if (auto* exec = std::get_if<ExecEvent>(&event.body)) {
      Add({number, event.tid, Exec{exec->argv.empty() ? exec->path : Join(exec->argv)}});
    } else if (auto* exit = std::get_if<ExitEvent>(&event.body)) {
      Add({number, event.tid, Exit{exit->wait_status, exit->whole_process}});
    }
  }

  Expected<std::vector<ProcessInfo>> Finish(bool recording_complete) {
    // Threads whose creator never got the clone result back in the trace
    // (cut short, or the creator died in vfork): the oldest creator still
    // inside a clone made the oldest such thread.
    while (!held_.empty()) {
      auto oldest_held = std::min_element(held_.begin(), held_.end(), [](auto& a, auto& b) {
        return a.second.front().event < b.second.front().event;
      });
      const PendingClone* creator = nullptr;
      size_t creator_process = 0;
      for (const auto& [tid, pending] : pending_) {
        std::optional<size_t> process = pending.process ? pending.process : ProcessOf(tid);
        if (process && (creator == nullptr || pending.event < creator->event)) {
          creator = &pending;
          creator_process = *process;
        }
      }
      if (creator == nullptr) {
        const Fact& first = oldest_held->second.front();
        return Status(ErrorCode::kCorrupt,
                      "event " + std::to_string(first.event) + ": thread " +
                          std::to_string(first.tid) +
                          " belongs to no process: no clone, fork or vfork in the trace "
                          "created it");
      }
      PendingClone chosen = *creator;
      pending_.erase(chosen.tid);
      chosen.creation.child = oldest_held->first;
      Create(creator_process, chosen.event, chosen.creation);
    }
    for (ProcessInfo& p : processes_) {
      if (p.end != ProcessEnd::kExited) {
        p.end = recording_complete ? ProcessEnd::kRunning : ProcessEnd::kUnknown;
      }
    }
    std::stable_sort(
        processes_.begin(), processes_.end(),
        [](const ProcessInfo& a, const ProcessInfo& b) { return a.first_event < b.first_event; });
    return std::move(processes_);
  }

 private:
  std::optional<size_t> ProcessOf(int32_t tid) const {
    auto it = process_of_.find(tid);
    if (it == process_of_.end()) return std::nullopt;
    return it->second;
  }

  void Add(Fact fact) {
    std::optional<size_t> p = ProcessOf(fact.tid);
    if (!p) {
      held_[fact.tid].push_back(std::move(fact));
      return;
    }
    if (auto* creation = std::get_if<Creation>(&fact.what)) {
      Create(*p, fact.event, *creation);
    } else if (auto* exec = std::get_if<Exec>(&fact.what)) {
      ProcessInfo& process = processes_[*p];
      process.command = std::move(exec->command);
      process.exec_events.push_back(fact.event);
      // Exec leaves one thread, which takes the process's id as its tid.
      Forget(*p);
      process_of_[fact.tid] = *p;
      process_of_[process.pid] = *p;
    } else if (auto* exit = std::get_if<Exit>(&fact.what)) {
      if (exit->whole_process) {
        processes_[*p].end = ProcessEnd::kExited;
        processes_[*p].wait_status = exit->wait_status;
        processes_[*p].end_event = fact.event;
        processes_[*p].end_tid = fact.tid;
        Forget(*p);
      } else {
        process_of_.erase(fact.tid);
      }
    }
  }

  void Create(size_t creator, uint64_t event, const Creation& creation) {
    if (creation.thread) {
      ++processes_[creator].threads;
      process_of_[creation.child] = creator;
    } else {
      const ProcessInfo& parent = processes_[creator];
      ProcessInfo child;
      child.pid = creation.child;
      child.ppid = creation.parent_is_callers ? parent.ppid : parent.pid;
      child.command = parent.command;
      child.first_event = event;
      processes_.push_back(std::move(child));
      process_of_[creation.child] = processes_.size() - 1;
    }
    auto held = held_.extract(creation.child);
    if (!held.empty()) {
      for (Fact& fact : held.mapped()) Add(std::move(fact));
    }
  }

  // Drops every tid of process `p`: its ids may be reused afterwards.
  void Forget(size_t p) {
    std::erase_if(process_of_, [p](const auto& entry) { return entry.second == p; });
  }

  const arch::Arch& arch_;
  const arch::SyscallTable& syscalls_;
  std::vector<ProcessInfo> processes_;
  std::unordered_map<int32_t, size_t> process_of_;       // live tid -> index in processes_
  std::unordered_map<int32_t, std::vector<Fact>> held_;  // facts of tids not created yet
  std::map<int32_t, PendingClone> pending_;              // by caller tid
};

std::string ExitText(const ProcessInfo& p) {
  if (p.end != ProcessEnd::kExited) return "-";
  if (WIFEXITED(p.wait_status)) return std::to_string(WEXITSTATUS(p.wait_status));
  if (WIFSIGNALED(p.wait_status)) return SignalName(WTERMSIG(p.wait_status));
  return "-";
}

// Columns eight wide as in `rr ps`, with at least one space between them.
std::string Row(const std::string& pid, const std::string& ppid, const std::string& exit,
                const std::string& command) {
  std::string out;
  for (const std::string* cell : {&pid, &ppid, &exit}) {
    out += *cell;
    out.append(cell->size() < 8 ? 8 - cell->size() : 1, ' ');
  }
  return out + command + "\n";
}

}  // namespace

Expected<std::vector<ProcessInfo>> ReadProcessTree(TraceReader& reader) {
  const TraceHeader& header = reader.header();
  const arch::Arch* arch = arch::ArchByName(header.arch);
  if (arch == nullptr) {
    return Status(ErrorCode::kUnsupported,
                  "trace architecture '" + header.arch + "' is unknown to this rewind");
  }
  RETURN_IF_ERROR(reader.Seek(0));
  ASSIGN_OR_RETURN(std::optional<Event> event, reader.Next());
  if (!event) return std::vector<ProcessInfo>{};
  TreeBuilder tree(*arch, event->tid, Join(header.argv));
  for (uint64_t number = 0; event; ++number) {
    tree.Observe(number, *event);
    ASSIGN_OR_RETURN(event, reader.Next());
  }
  return tree.Finish(reader.complete());
}

std::string FormatProcessTable(const std::vector<ProcessInfo>& processes) {
  std::string out = Row("PID", "PPID", "EXIT", "CMD");
  for (const ProcessInfo& p : processes) {
    out += Row(std::to_string(p.pid), p.ppid == 0 ? "--" : std::to_string(p.ppid), ExitText(p),
               p.command);
  }
  return out;
}

}  // namespace rwd::trace
