// RecordPart: the base of the parts a RecordSession is made of (the
// scheduler, and the syscall, syscall-buffer, signal and snapshot
// recorders). A part keeps its own state and asks the session, through the
// calls below, for what every part needs: threads and processes by id,
// appending an event, resuming a thread. The state several parts share (the
// threads, the processes, the current thread, the trace writer) stays in the
// session, which the parts reach as s_.
//
// The definitions follow RecordSession in record_session.h.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/status.h"
#include "recorder/record_process.h"
#include "recorder/record_task.h"
#include "trace/event.h"

namespace rwd::recorder {

class RecordSession;

class RecordPart {
 public:
  RecordPart(const RecordPart&) = delete;
  RecordPart& operator=(const RecordPart&) = delete;

 protected:
  explicit RecordPart(RecordSession& session) : s_(session) {}

  // Appends an event of thread `tid` (`task`) to the trace, after what the
  // thread buffered.
  Status Append(pid_t tid, trace::EventBody body) const;
  Status Append(const RecordTask& task, trace::EventBody body) const;
  RecordTask* Find(pid_t tid) const;
  ProcessState& ProcessOf(const RecordTask& task) const;
  // Tells the user, once per kind, where the recording departs from a run
  // without rewind.
  void Note(const std::string& note) const;
  // Lets `task` run its own code again, delivering `signo`.
  Status Resume(RecordTask& task, int signo = 0) const;

  RecordSession& s_;
};

}  // namespace rwd::recorder
