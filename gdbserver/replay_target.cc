#include "gdbserver/replay_target.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

#include "core/hex.h"
#include "core/proc_maps.h"
#include "gdbserver/recorded_maps.h"

namespace rwd::gdbserver {

namespace {

constexpr const char* kMonitorHelp =
    "rewind monitor commands:\n"
    "  when                 current event number and position\n"
    "  checkpoint [NAME]    save this point; prints its id\n"
    "  checkpoints          list checkpoints\n"
    "  restart ID|NAME      return to a checkpoint\n"
    "  goto EVENT           go to the point where EVENT events have been replayed\n"
    "  stats                checkpoint and restore counts\n"
    "A gdb started by hand shows the new point after restart or goto once it\n"
    "has sourced the commands 'rewind gdbinit' prints.\n";

arch::HwKind ToHwKind(BreakpointType type) {
  switch (type) {
    case BreakpointType::kRead:
      return arch::HwKind::kRead;
    case BreakpointType::kAccess:
      return arch::HwKind::kAccess;
    default:
      return arch::HwKind::kWrite;
  }
}

}  // namespace

ReplayTarget::ReplayTarget(replayer::Timeline& timeline) : timeline_(timeline) {
  last_stop_.kind = StopReply::Kind::kSignal;
  last_stop_.signo = SIGTRAP;
  last_stop_.tid = pid();
}

const arch::Arch& ReplayTarget::arch() const { return timeline_.live().arch(); }

int ReplayTarget::pid() const { return timeline_.live().recorded_pid(); }

std::vector<ThreadInfo> ReplayTarget::Threads() {
  std::string exe = std::filesystem::path(timeline_.live().exec_path()).filename();
  std::vector<ThreadInfo> out;
  for (const replayer::ThreadRef& t : timeline_.live().Threads()) {
    // The replaying thread carries the name the program gave it (prctl
    // PR_SET_NAME runs for real in replay).
    std::string name = t.name;
    if (name.empty()) {
      std::ifstream comm("/proc/" + std::to_string(t.live_tid) + "/comm");
      if (!std::getline(comm, name) || name.empty()) name = exe.substr(0, 15);
    }
    out.push_back(ThreadInfo{t.tid, name});
  }
  // After the exit (gdb stays connected in extended mode) there is none.
  if (out.empty() && !timeline_.live().exited()) {
    out.push_back(ThreadInfo{pid(), exe.substr(0, 15)});
  }
  return out;
}

int ReplayTarget::CurrentThread() {
  std::vector<replayer::ThreadRef> threads = timeline_.live().Threads();
  auto known = [&](int tid) {
    return std::any_of(threads.begin(), threads.end(),
                       [&](const replayer::ThreadRef& t) { return t.tid == tid; });
  };
  if (selected_ > 0 && known(selected_)) return selected_;
  // gdb takes the thread of the last stop as current until the next one,
  // also across monitor restart/goto.
  if (last_stop_.tid > 0 && known(last_stop_.tid)) return last_stop_.tid;
  int current = timeline_.live().current_tid();
  // The thread that ran last may belong to another process of the tree.
  if (!known(current) && !threads.empty()) return threads.front().tid;
  return current;
}

Status ReplayTarget::SelectThread(int tid) {
  if (tid <= 0) return Status::Ok();
  for (const replayer::ThreadRef& t : timeline_.live().Threads()) {
    if (t.tid == tid) {
      selected_ = tid;
      return Status::Ok();
    }
  }
  return Status(ErrorCode::kInvalidInput, "no thread " + std::to_string(tid));
}

Status ReplayTarget::CheckLive() const {
  if (timeline_.live().exited()) {
    return Status(ErrorCode::kTraceeExited, "the replayed process has exited");
  }
  return Status::Ok();
}

Expected<arch::Registers> ReplayTarget::GetRegisters(int tid) {
  RETURN_IF_ERROR(CheckLive());
  if (tid <= 0) tid = CurrentThread();
  return timeline_.live().GetRegisters(tid);
}

Expected<std::vector<uint8_t>> ReplayTarget::GetFpRegisters(int tid) {
  RETURN_IF_ERROR(CheckLive());
  if (tid <= 0) tid = CurrentThread();
  return timeline_.live().GetFpRegisters(tid);
}

Expected<std::vector<uint8_t>> ReplayTarget::ReadMemory(uint64_t addr, size_t len) {
  RETURN_IF_ERROR(CheckLive());
  return timeline_.live().ReadMemory(addr, len);
}

Status ReplayTarget::InsertBreakpoint(BreakpointType type, uint64_t addr, int len) {
  if (type == BreakpointType::kSoftware || type == BreakpointType::kHardware) {
    return timeline_.InsertBreakpoint(addr);
  }
  // Page protection holds a watch of any length; each of its pages costs
  // an mprotect pair at every executed syscall.
  constexpr int kMaxWatchBytes = 1 << 20;
  if (len <= 0 || len > kMaxWatchBytes) {
    return Status(ErrorCode::kUnsupported, "a watchpoint must cover 1 byte to 1 MiB (asked for " +
                                               std::to_string(len) + " bytes)");
  }
  std::vector<arch::HwWatch> watches = watches_;
  watches.push_back(arch::HwWatch{addr, static_cast<uint32_t>(len), ToHwKind(type)});
  ASSIGN_OR_RETURN(bool fits, timeline_.SetWatchpoints(watches));
  if (!fits) return Status(ErrorCode::kUnsupported, "the replay cannot hold this watchpoint");
  watches_ = std::move(watches);
  watch_types_.push_back(type);
  return Status::Ok();
}

Status ReplayTarget::RemoveBreakpoint(BreakpointType type, uint64_t addr, int len) {
  if (type == BreakpointType::kSoftware || type == BreakpointType::kHardware) {
    return timeline_.RemoveBreakpoint(addr);
  }
  for (size_t i = 0; i < watches_.size(); ++i) {
    if (watches_[i].addr == addr && watches_[i].len == len && watch_types_[i] == type) {
      watches_.erase(watches_.begin() + static_cast<long>(i));
      watch_types_.erase(watch_types_.begin() + static_cast<long>(i));
      return timeline_.SetWatchpoints(watches_).status();
    }
  }
  return Status::Ok();
}

StopReply ReplayTarget::ToStopReply(const replayer::ReplayStop& stop) {
  using Kind = replayer::ReplayStop::Kind;
  StopReply reply;
  selected_ = 0;  // gdb follows the thread that stopped
  last_stop_.tid = 0;
  reply.tid = stop.tid > 0 ? stop.tid : CurrentThread();
  reply.kind = StopReply::Kind::kSignal;
  reply.signo = SIGTRAP;
  switch (stop.kind) {
    case Kind::kBreakpoint:
      reply.swbreak = true;
      break;
    case Kind::kWatchpoint:
      if (stop.watch_index >= 0 && static_cast<size_t>(stop.watch_index) < watch_types_.size()) {
        reply.watch_type = watch_types_[stop.watch_index];
        reply.watch_addr = watches_[stop.watch_index].addr;
      }
      break;
    case Kind::kSignal:
      reply.signo = stop.signo;
      break;
    case Kind::kInterrupted:
      reply.signo = SIGINT;
      break;
    case Kind::kExited:
      if (WIFSIGNALED(stop.wait_status)) {
        reply.kind = StopReply::Kind::kTerminated;
        reply.signo = WTERMSIG(stop.wait_status);
      } else {
        reply.kind = StopReply::Kind::kExited;
        reply.exit_code = WEXITSTATUS(stop.wait_status);
      }
      break;
    case Kind::kEndOfTrace:
      reply.kind = StopReply::Kind::kHistoryEnd;
      break;
    case Kind::kHistoryStart:
      reply.kind = StopReply::Kind::kHistoryBegin;
      break;
    case Kind::kStep:
    case Kind::kEventBoundary:
      break;
  }
  return reply;
}

StopReply ReplayTarget::Resume(const ResumeRequest& request,
                               const std::function<bool()>& interrupted) {
  bool reverse = request.direction == Direction::kReverse;
  bool step = request.kind == ResumeKind::kStep;
  Expected<replayer::ReplayStop> stop =
      reverse ? (step ? timeline_.ReverseStep() : timeline_.ReverseContinue(interrupted))
              : (step ? timeline_.Step(request.tid) : timeline_.Continue(interrupted));
  // After restart or goto gdb still has the pc of its last stop, so at a
  // breakpoint it does not step over it first, as if the user had moved the
  // pc there (which replay never allows): that breakpoint is not a new hit.
  std::optional<replayer::Position> moved_to = std::exchange(moved_to_, std::nullopt);
  if (moved_to && !reverse && !step && stop.ok() &&
      stop->kind == replayer::ReplayStop::Kind::kBreakpoint &&
      timeline_.Current().SameState(*moved_to)) {
    stop = timeline_.Continue(interrupted);
  }
  if (!stop.ok()) {
    // The debugger cannot show our errors in a stop reply; the user's
    // terminal can. The replay stays where it stopped.
    fprintf(stderr, "rewind: %s\n", stop.status().ToString().c_str());
    StopReply reply;
    reply.tid = timeline_.live().current_tid();
    reply.signo = SIGTRAP;
    last_stop_ = reply;
    return reply;
  }
  last_stop_ = ToStopReply(*stop);
  return last_stop_;
}

Status ReplayTarget::Restart() {
  // As rr does: `run` goes back to the start of the recording; nothing runs
  // for real.
  RETURN_IF_ERROR(timeline_.GotoStart());
  selected_ = 0;
  last_stop_ = StopReply{};
  last_stop_.tid = CurrentThread();
  last_stop_.signo = SIGTRAP;
  return Status::Ok();
}

Expected<std::vector<uint8_t>> ReplayTarget::Auxv() {
  RETURN_IF_ERROR(CheckLive());
  return ReadAuxvBytes(timeline_.live().live_tid());
}

std::string ReplayTarget::ExecFile() { return timeline_.live().exec_path(); }

std::string ReplayTarget::HostPathFor(const std::string& path) {
  // gdb asks for /proc files of the pid (and tid) it was told: the recorded
  // ones. Serve the live process's instead.
  if (path.rfind("/proc/", 0) == 0) {
    std::string recorded = "/" + std::to_string(pid()) + "/";
    std::string live = "/" + std::to_string(timeline_.live().live_tid()) + "/";
    std::string mapped = path;
    for (size_t at = mapped.find(recorded); at != std::string::npos;
         at = mapped.find(recorded, at + live.size())) {
      mapped.replace(at, recorded.size(), live);
    }
    return mapped;
  }
  const auto& files = timeline_.live().mapped_files();
  if (auto it = files.find(path); it != files.end()) return it->second;
  // The dynamic linker names libraries by the path it opened
  // (/lib/x86_64-linux-gnu/libc.so.6); the trace by the file behind it
  // (/usr/lib/...). Resolve the link where this machine has it, else match
  // a mapped file of the same name when there is exactly one.
  std::error_code ec;
  std::string resolved = std::filesystem::canonical(path, ec).string();
  if (auto it = files.find(resolved); !ec && it != files.end()) return it->second;
  std::string name = std::filesystem::path(path).filename();
  std::string match;
  for (const auto& [recorded, copy] : files) {
    if (std::filesystem::path(recorded).filename() != name) continue;
    if (!match.empty()) return path;
    match = copy;
  }
  return match.empty() ? path : match;
}

std::optional<std::string> ReplayTarget::GeneratedFile(const std::string& path) {
  replayer::ReplaySession& live = timeline_.live();
  if (path != "/proc/" + std::to_string(pid()) + "/maps" || live.exited()) return std::nullopt;
  std::string proc = "/proc/" + std::to_string(live.live_tid());
  std::ifstream in(proc + "/maps");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return std::nullopt;
  MapsTranslation translation;
  for (const auto& [recorded, copy] : live.mapped_files()) {
    translation.recorded_path_of[copy] = recorded;
  }
  // The executable runs from a staged copy (replayer/exec_staging.h).
  std::error_code ec;
  std::string exe = std::filesystem::read_symlink(proc + "/exe", ec).string();
  if (!ec) translation.recorded_path_of[exe] = live.exec_path();
  for (const ProbePages::Area& area : live.probe_areas()) {
    translation.hidden.emplace_back(area.start, area.end);
  }
  return RecordedMaps(text, translation);
}

Expected<std::vector<uint8_t>> ReplayTarget::Siginfo(int tid) {
  RETURN_IF_ERROR(CheckLive());
  if (tid <= 0) tid = CurrentThread();
  // The recorded siginfo is what the kernel gave the program; the replay's
  // own may differ for a signal replay injects (e.g. si_pid of a kill).
  const trace::SignalEvent* sig = timeline_.live().last_signal();
  bool stopped_for_it = last_stop_.kind == StopReply::Kind::kSignal && last_stop_.tid == tid &&
                        !last_stop_.swbreak && !last_stop_.watch_type && sig != nullptr &&
                        sig->signo == last_stop_.signo;
  if (!stopped_for_it) {
    return Status(ErrorCode::kNotFound,
                  "thread " + std::to_string(tid) + " did not stop for a recorded signal");
  }
  return sig->siginfo;
}

std::string ReplayTarget::When() {
  replayer::ReplaySession& live = timeline_.live();
  std::ostringstream out;
  out << "Current event: " << live.event_number() << " (of " << timeline_.event_count() << ")";
  if (!live.exited()) {
    replayer::Position p = timeline_.Current();
    out << ", pc " << Hex(p.pc) << (p.boundary ? ", at the event boundary" : "");
  } else {
    out << ", the process has exited";
  }
  out << "\n";
  return out.str();
}

std::string ReplayTarget::Monitor(const std::string& command) {
  std::istringstream in(command);
  std::string verb, arg;
  in >> verb >> arg;
  if (verb.empty() || verb == "help") return kMonitorHelp;
  if (verb == "when") return When();
  if (verb == "checkpoint") {
    Expected<int> id = timeline_.TakeCheckpoint(arg);
    if (!id.ok()) return "error: " + id.status().message() + "\n";
    return "Checkpoint " + std::to_string(*id) + " at event " +
           std::to_string(timeline_.live().event_number()) + "\n";
  }
  if (verb == "checkpoints") {
    std::ostringstream out;
    for (const replayer::CheckpointInfo& cp : timeline_.Checkpoints()) {
      out << cp.id << "\tevent " << cp.event << "\t" << (cp.automatic ? "auto" : "explicit")
          << (cp.name.empty() ? "" : "\t" + cp.name) << "\n";
    }
    return out.str();
  }
  if (verb == "restart") {
    if (arg.empty()) return "usage: monitor restart ID|NAME\n";
    Status s = timeline_.RestoreCheckpoint(arg);
    if (s.ok() && !timeline_.live().exited()) moved_to_ = timeline_.Current();
    return s.ok() ? When() : "error: " + s.message() + " (see 'monitor checkpoints')\n";
  }
  if (verb == "goto") {
    char* end = nullptr;
    unsigned long long event = strtoull(arg.c_str(), &end, 10);
    if (arg.empty() || *end != '\0') return "usage: monitor goto EVENT\n";
    Status s = timeline_.GotoEvent(event);
    if (s.ok() && !timeline_.live().exited()) moved_to_ = timeline_.Current();
    return s.ok() ? When() : "error: " + s.message() + "\n";
  }
  if (verb == "stats") {
    const replayer::TimelineStats& st = timeline_.stats();
    std::ostringstream out;
    out << "checkpoints: " << timeline_.Checkpoints().size() << " kept, " << st.checkpoints_taken
        << " taken\n"
        << "restores: " << st.restores << " (" << st.restores_from_start
        << " from the start of history), last from event " << st.last_restore_event << "\n"
        << "watchpoints: "
        << (timeline_.live().hardware_watchpoints() ? "debug registers" : "page protection") << ", "
        << timeline_.live().watch_page_faults() << " page faults taken by this stretch of replay\n";
    return out.str();
  }
  return "unknown monitor command '" + verb + "'\n" + kMonitorHelp;
}

}  // namespace rwd::gdbserver
