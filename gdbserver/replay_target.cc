#include "gdbserver/replay_target.h"

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "core/elf_image.h"
#include "core/proc_maps.h"
#include "debugger/time_travel_commands.h"
#include "gdbserver/thread_local_address.h"

namespace rwd::gdbserver {

namespace {

constexpr const char* kMonitorHelp =
    "rewind monitor commands:\n"
    "  when                 current event number and position\n"
    "  checkpoint [NAME]    save this point; prints its id\n"
    "  checkpoints          list checkpoints, and those the program named\n"
    "  restart ID|NAME      return to a checkpoint, or to rewind_checkpoint(NAME)\n"
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

BreakpointType ToBreakpointType(arch::HwKind kind) {
  switch (kind) {
    case arch::HwKind::kRead:
      return BreakpointType::kRead;
    case arch::HwKind::kAccess:
      return BreakpointType::kAccess;
    default:
      return BreakpointType::kWrite;
  }
}

bool IsCodeBreakpoint(BreakpointType type) {
  return type == BreakpointType::kSoftware || type == BreakpointType::kHardware;
}

}  // namespace

ReplayTarget::ReplayTarget(debugger::DebuggerSession& session) : session_(session) {}

const arch::RegisterDescription& ReplayTarget::register_description() const {
  return session_.arch().register_description();
}

int ReplayTarget::pid() const { return session_.live().recorded_pid(); }

std::vector<ThreadInfo> ReplayTarget::Threads() {
  std::vector<ThreadInfo> out;
  for (const debugger::ThreadEntry& t : session_.Threads())
    out.push_back(ThreadInfo{t.tid.value(), t.name});
  return out;
}

// gdb's thread ids are the recorded ones.
int ReplayTarget::CurrentThread() { return session_.CurrentThread().value(); }

Status ReplayTarget::SelectThread(int tid) { return session_.SelectThread(RecordedTid(tid)); }

Expected<arch::Registers> ReplayTarget::GetRegisters(int tid) {
  RETURN_IF_ERROR(session_.CheckLive());
  if (tid <= 0) tid = CurrentThread();
  return session_.state().Registers(RecordedTid(tid));
}

Expected<std::vector<uint8_t>> ReplayTarget::GetFpRegisters(int tid) {
  RETURN_IF_ERROR(session_.CheckLive());
  if (tid <= 0) tid = CurrentThread();
  return session_.state().FpRegisters(RecordedTid(tid));
}

Expected<std::vector<uint8_t>> ReplayTarget::ReadMemory(uint64_t addr, size_t len) {
  RETURN_IF_ERROR(session_.CheckLive());
  return session_.state().ReadMemory(addr, len);
}

Status ReplayTarget::SetRegisters(int tid, const arch::Registers& regs) {
  RETURN_IF_ERROR(session_.CheckLive());
  if (tid <= 0) tid = CurrentThread();
  return session_.state().WriteRegisters(RecordedTid(tid), regs);
}

Status ReplayTarget::SetFpRegisters(int tid, std::span<const uint8_t> bytes) {
  RETURN_IF_ERROR(session_.CheckLive());
  if (tid <= 0) tid = CurrentThread();
  return session_.state().WriteFpRegisters(RecordedTid(tid), bytes);
}

Status ReplayTarget::WriteMemory(uint64_t addr, std::span<const uint8_t> bytes) {
  RETURN_IF_ERROR(session_.CheckLive());
  // Writing what is there changes nothing (and needs no copy).
  Expected<std::vector<uint8_t>> now = session_.state().ReadMemory(addr, bytes.size());
  if (now.ok() && std::equal(now->begin(), now->end(), bytes.begin(), bytes.end())) {
    return Status::Ok();
  }
  return session_.state().WriteMemory(addr, bytes);
}

Status ReplayTarget::InsertBreakpoint(BreakpointType type, uint64_t addr, int len) {
  if (IsCodeBreakpoint(type)) return session_.AddBreakpoint(addr).status();
  if (len <= 0) {
    return Status(ErrorCode::kUnsupported, "a watchpoint must cover 1 byte to 1 MiB (asked for " +
                                               std::to_string(len) + " bytes)");
  }
  return session_.AddWatchpoint(arch::HwWatch{addr, static_cast<uint32_t>(len), ToHwKind(type)})
      .status();
}

Status ReplayTarget::RemoveBreakpoint(BreakpointType type, uint64_t addr, int len) {
  if (IsCodeBreakpoint(type)) return session_.DeleteBreakpointAt(addr);
  if (len <= 0) return Status::Ok();
  return session_.DeleteWatchpointMatching(
      arch::HwWatch{addr, static_cast<uint32_t>(len), ToHwKind(type)});
}

StopReply ReplayTarget::ToStopReply(const debugger::Stop& stop) const {
  using Kind = replayer::ReplayStop::Kind;
  StopReply reply;
  reply.tid = stop.tid;
  reply.kind = StopReply::Kind::kSignal;
  reply.signo = SIGTRAP;
  switch (stop.replay.kind) {
    case Kind::kBreakpoint:
      reply.swbreak = true;
      break;
    case Kind::kWatchpoint:
      if (stop.watchpoint) {
        reply.watch_type = ToBreakpointType(stop.watchpoint->range.kind);
        reply.watch_addr = stop.watchpoint->range.addr;
      }
      break;
    case Kind::kSignal:
      reply.signo = stop.replay.signo;
      break;
    case Kind::kInterrupted:
      reply.signo = SIGINT;
      break;
    case Kind::kExited:
      if (WIFSIGNALED(stop.replay.wait_status)) {
        reply.kind = StopReply::Kind::kTerminated;
        reply.signo = WTERMSIG(stop.replay.wait_status);
      } else {
        reply.kind = StopReply::Kind::kExited;
        reply.exit_code = WEXITSTATUS(stop.replay.wait_status);
      }
      break;
    case Kind::kEndOfTrace:
      // gdb says "No more reverse-execution history" and keeps the process,
      // so reverse execution goes on from the exit. A W reply would end it.
      reply.kind = StopReply::Kind::kHistoryEnd;
      if (stop.replay.exit_ahead) ReportExit(stop.replay.wait_status);
      break;
    case Kind::kHistoryStart:
      reply.kind = StopReply::Kind::kHistoryBegin;
      break;
    case Kind::kSyscallEntry:
    case Kind::kSyscallReturn:
      reply.syscall = stop.replay.kind == Kind::kSyscallEntry ? StopReply::Syscall::kEntry
                                                              : StopReply::Syscall::kReturn;
      reply.syscall_nr = stop.replay.syscall_nr;
      break;
    case Kind::kStep:
    case Kind::kEventBoundary:
      break;
  }
  return reply;
}

void ReplayTarget::ReportExit(int wait_status) const {
  // In gdb's words, which gdb itself cannot print without a W reply.
  char what[64];
  if (WIFSIGNALED(wait_status)) {
    snprintf(what, sizeof(what), "terminated with signal %d", WTERMSIG(wait_status));
  } else if (WEXITSTATUS(wait_status) == 0) {
    snprintf(what, sizeof(what), "exited normally");
  } else {
    snprintf(what, sizeof(what), "exited with code %02o", WEXITSTATUS(wait_status));
  }
  fflush(stdout);
  fprintf(stderr,
          "rewind: [process %d %s] here, at the end of its recording; it stays stopped at its "
          "exit so that reverse execution goes on from here\n",
          pid(), what);
}

StopReply ReplayTarget::Resume(const ResumeRequest& request,
                               const std::function<bool()>& interrupted) {
  bool reverse = request.direction == Direction::kReverse;
  bool step = request.kind == ResumeKind::kStep;
  debugger::Motion motion =
      reverse ? (step ? debugger::Motion::kReverseStep : debugger::Motion::kReverseContinue)
              : (step ? debugger::Motion::kStep : debugger::Motion::kContinue);
  const debugger::Stop& stop = session_.Resume(motion, request.tid, interrupted);
  StopReply reply = ToStopReply(stop);
  if (!stop.exec_path.empty()) {
    reply.exec_path = stop.exec_path;
    reply.syscall_nr = -1;
  }
  // The replay stays where the failure left it.
  if (!stop.error.ok()) {
    reply.failure = stop.error.ToString();
    // A step reported as a plain SIGTRAP reads to gdb as a step taken:
    // next and step (and their reverse) would ask again at the same point,
    // forever. An interrupt ends the command where the replay stands.
    if (step) {
      reply.signo = SIGINT;
      reply.swbreak = false;
      reply.hwbreak = false;
      reply.watch_type.reset();
    }
  }
  reply.note = stop.note;
  return reply;
}

Status ReplayTarget::Restart() {
  // As rr does: `run` goes back to the start of the recording; nothing runs
  // for real.
  return session_.GotoStart();
}

Expected<std::vector<uint8_t>> ReplayTarget::Auxv() {
  RETURN_IF_ERROR(session_.CheckLive());
  return ReadAuxvBytes(session_.live().live_tid().value());
}

std::string ReplayTarget::ExecFile() { return session_.live().exec_path(); }

std::string ReplayTarget::HostPathFor(const std::string& path) {
  // gdb asks for /proc files of the pid (and tid) it was told: the recorded
  // ones. Serve the live process's instead.
  if (path.rfind("/proc/", 0) == 0) {
    std::string recorded = "/" + std::to_string(pid()) + "/";
    std::string live = "/" + session_.live().live_tid().ToString() + "/";
    std::string mapped = path;
    for (size_t at = mapped.find(recorded); at != std::string::npos;
         at = mapped.find(recorded, at + live.size())) {
      mapped.replace(at, recorded.size(), live);
    }
    return mapped;
  }
  const auto& files = session_.live().mapped_files();
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
  if (path != "/proc/" + std::to_string(pid()) + "/maps") return std::nullopt;
  Expected<std::string> maps = session_.RecordedMaps();
  if (!maps.ok()) return std::nullopt;
  return *maps;
}

Expected<std::vector<uint8_t>> ReplayTarget::Siginfo(int tid) {
  if (tid <= 0) tid = CurrentThread();
  return session_.StoppedSignalInfo(tid);
}

Expected<uint64_t> ReplayTarget::ThreadLocalAddress(int tid, uint64_t link_map, uint64_t offset) {
  RETURN_IF_ERROR(session_.CheckLive());
  if (tid <= 0) tid = CurrentThread();
  replayer::ReplaySession& live = session_.live();
  ASSIGN_OR_RETURN(arch::Registers regs, live.GetRegisters(RecordedTid(tid)));
  std::optional<uint64_t> tcb = register_description().TcbAddress(regs);
  if (!tcb) {
    return Status(ErrorCode::kUnsupported, "thread-local variables are not supported on " +
                                               std::string(register_description().name) + " yet");
  }
  ASSIGN_OR_RETURN(std::vector<MemoryMapping> maps, ReadMappings(live.live_tid().value()));
  TlsLookup lookup;
  lookup.tcb = *tcb;
  lookup.read = [&live](uint64_t addr, size_t len) {
    return live.ReadMemory(RemoteAddr(addr), len);
  };
  // glibc's descriptors are in libc (libpthread before glibc 2.34).
  std::map<std::string, std::vector<uint8_t>> images;
  lookup.symbol = [&](std::string_view name) -> std::optional<uint64_t> {
    for (const auto& [recorded, copy] : live.mapped_files()) {
      std::string file = std::filesystem::path(recorded).filename();
      if (file.rfind("libc.so", 0) != 0 && file.rfind("libpthread.so", 0) != 0) continue;
      std::optional<MemoryMapping> mapping = FindMapping(maps, copy);
      if (!mapping) continue;
      auto [it, added] = images.try_emplace(copy);
      if (added) {
        std::ifstream in(copy, std::ios::binary);
        it->second.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      }
      if (auto at = ElfImage(it->second).SymbolOffset(name)) {
        return mapping->start - mapping->offset + *at;
      }
    }
    return std::nullopt;
  };
  return gdbserver::ThreadLocalAddress(lookup, link_map, offset);
}

Status ReplayTarget::CatchSyscalls(bool enable, const std::vector<int64_t>& numbers) {
  replayer::SyscallCatch syscalls;
  if (enable) {
    syscalls.all = numbers.empty();
    syscalls.numbers.insert(numbers.begin(), numbers.end());
  }
  session_.SetCatchpoints(syscalls);
  return Status::Ok();
}

std::string ReplayTarget::Monitor(const std::string& command,
                                  const std::function<bool()>& interrupted) {
  std::istringstream in(command);
  std::string verb, arg;
  in >> verb >> arg;
  if (verb.empty() || verb == "help") return kMonitorHelp;
  if (std::optional<std::string> out =
          debugger::RunTimeTravelCommand(session_, verb, arg, "monitor ", interrupted)) {
    // gdb has no packet by which a server says the program changed.
    if (std::string program = session_.UntoldProgram(); !program.empty()) {
      *out += "The process runs " + program + " here, not the program gdb has loaded; " + "'file " +
              program + "' loads its symbols.\n";
    }
    return *out;
  }
  return "unknown monitor command '" + verb + "'\n" + kMonitorHelp;
}

}  // namespace rwd::gdbserver
