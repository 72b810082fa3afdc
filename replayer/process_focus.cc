#include "replayer/process_focus.h"

#include <vector>

#include "trace/process_tree.h"
#include "trace/trace_reader.h"

namespace rwd::replayer {

Status FocusOnProcess(const std::string& dir, pid_t pid, bool from_fork, TimelineOptions* options) {
  ASSIGN_OR_RETURN(auto reader, trace::TraceReader::Open(dir));
  ASSIGN_OR_RETURN(std::vector<trace::ProcessInfo> processes, trace::ReadProcessTree(*reader));
  for (const trace::ProcessInfo& p : processes) {
    if (p.pid != pid) continue;
    options->replay.focus_pid = p.pid;
    uint64_t start = p.first_event;
    if (!from_fork && !p.exec_events.empty()) start = p.exec_events.front();
    options->start_event = start + 1;
    return Status::Ok();
  }
  return Status(ErrorCode::kInvalidInput, "the trace has no process " + std::to_string(pid) +
                                              " (see 'rewind ps " + dir + "')");
}

}  // namespace rwd::replayer
