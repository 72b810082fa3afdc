// SyscallBufferRecorder: the in-process syscall buffer
// (preload/syscallbuf_abi.h).
//
// With it, threads run their own code under PTRACE_CONT: the seccomp filter
// installed at spawn stops them (PTRACE_EVENT_SECCOMP) at every syscall but
// the library's untraced one, and that stop is handled as a syscall entry;
// the exit is still a PTRACE_SYSCALL stop. Processes that install a filter
// of their own go back to PTRACE_SYSCALL (a stricter filter of theirs
// answers before ours and would hide the syscall).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string_view>

#include "base/hex.h"
#include "core/proc_maps.h"
#include "core/seccomp_filter.h"
#include "include/rewind/checkpoint.h"
#include "preload/syscallbuf_abi.h"
#include "recorder/preload_env.h"
#include "recorder/record_session.h"
#include "trace/buffer_records.h"

namespace rwd::recorder {

namespace {

// Longest walk out of the library's hot code: its longest path copies 64 KiB.
constexpr int kMaxStepsOutOfLibrary = 1 << 20;
constexpr uint64_t kMaxHotCode = 1 << 20;

}  // namespace

void PreloadLibrary(const std::string& library, std::vector<std::string>* envp) {
  // `value` goes before (LD_PRELOAD) or after (ASAN_OPTIONS, where a later
  // setting wins) what the program had, with ':' between.
  auto put = [&](const std::string& var, const std::string& value, bool first) {
    std::string prefix = var + "=";
    for (std::string& e : *envp) {
      if (!e.starts_with(prefix)) continue;
      std::string rest = e.substr(prefix.size());
      if (rest.empty()) {
        e = prefix + value;
      } else {
        e = prefix + (first ? value + ":" + rest : rest + ":" + value);
      }
      return;
    }
    envp->push_back(prefix + value);
  };
  put("LD_PRELOAD", library, true);
  put("ASAN_OPTIONS", "verify_asan_link_order=0", false);
}

void MarkRecorded(std::vector<std::string>* envp) {
  const std::string var = std::string(REWIND_RECORDING_ENV) + "=";
  std::erase_if(*envp, [&](const std::string& e) { return e.starts_with(var); });
  envp->push_back(var + "1");
}

ResumeMode SyscallBufferRecorder::RunMode(const RecordTask& task) {
  if (!s_.syscallbuf_) return ResumeMode::kSyscall;
  auto it = s_.processes_.find(task.tgid);
  bool ptrace_syscalls = it != s_.processes_.end() && it->second.ptrace_syscalls;
  return ptrace_syscalls ? ResumeMode::kSyscall : ResumeMode::kCont;
}

Status SyscallBufferRecorder::OnSeccompStop(RecordTask& task) {
  // The filter's answer comes with the syscall's number and arguments (one
  // ptrace call per traced syscall fewer than PTRACE_GETEVENTMSG first).
  ASSIGN_OR_RETURN(SyscallStopInfo info, task.tracee.GetSyscallInfo());
  // A SECCOMP_RET_TRACE of the program's own filter (which answers before
  // ours): natively, without a tracer asking for these stops, the kernel
  // skips the syscall with ENOSYS. So does the recorder; the syscall's
  // exit stop records that result.
  if (info.op != SyscallStopInfo::Op::kSeccomp || info.seccomp_data != kUntracedIpFilterData) {
    ASSIGN_OR_RETURN(arch::Registers regs, task.tracee.GetRegisters());
    const arch::Arch& arch = task.tracee.arch();
    arch.SetSyscallResult(regs, -ENOSYS);
    RETURN_IF_ERROR(arch.host()
                        .SetSyscallNumberAtEntry(task.tid(), regs, -1)
                        .Wrap("skipping the syscall of thread " + std::to_string(task.tid()) +
                              " that its own seccomp filter answered with "
                              "SECCOMP_RET_TRACE"));
  }
  // Under PTRACE_SYSCALL the entry stop came first and was handled.
  if (task.pending) return task.tracee.Resume(ResumeMode::kSyscall);
  info.op = SyscallStopInfo::Op::kEntry;
  return s_.syscalls_.OnSyscallEntry(task, info);
}

Status SyscallBufferRecorder::RegisterSyscallBuffer(RecordTask& task, PendingSyscall& pending) {
  uint64_t addr = pending.args[0];
  bool sound = pending.args[1] == RWD_SB_BUFFER_SIZE && addr >= RWD_SB_BUFFERS &&
               addr < RWD_SB_END && (addr - RWD_SB_BUFFERS) % RWD_SB_BUFFER_SIZE == 0;
  auto magic = task.tracee.Read<uint64_t>(addr);
  if (!sound || !magic.ok() || *magic != RWD_SB_MAGIC) return Status::Ok();  // ENOSYS
  rwd_sb_header h{};
  h.magic = RWD_SB_MAGIC;
  h.mode = RWD_SB_MODE_RECORD;
  h.trace_file_writes = !ProcessOf(task).writable_shared_files.empty();
  for (size_t i = 0; i < s_.own_streams_.size(); ++i) {
    if (!s_.own_streams_[i]) continue;
    h.stream_dev[i] = s_.own_streams_[i]->dev;
    h.stream_ino[i] = s_.own_streams_[i]->ino;
  }
  RETURN_IF_ERROR(task.tracee.WriteMemory(
      addr, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&h), sizeof(h))));
  task.syscallbuf = addr;
  task.syscallbuf_dirty = false;
  pending.forced_result = 0;
  ProcessState& process = ProcessOf(task);
  process.buffered = true;
  process.syscallbuf_patching = pending.args[4] == RWD_SB_REGISTER_PATCHING;
  // Where the library's paths differ between record and replay.
  uint64_t hot_start = pending.args[2];
  uint64_t hot_end = pending.args[3];
  if (hot_start < hot_end && hot_end - hot_start < kMaxHotCode) {
    process.syscallbuf_code_start = hot_start;
    process.syscallbuf_code_end = hot_end;
  }
  return Status::Ok();
}

Status SyscallBufferRecorder::FlushSyscallBuffer(RecordTask& task) {
  if (task.syscallbuf == 0 || !task.syscallbuf_dirty) return Status::Ok();
  task.syscallbuf_dirty = false;
  rwd_sb_header h;
  Status read = task.tracee.ReadMemory(
      task.syscallbuf, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&h), sizeof(h)));
  // Gone with its process (killed from outside): nothing left to save.
  if (!read.ok()) return Status::Ok();
  if (h.count == 0) return Status::Ok();
  auto corrupt = [&](const std::string& what) {
    return Status(ErrorCode::kCorrupt, "the syscall buffer of thread " +
                                           std::to_string(task.tid()) + " " + what +
                                           " (the program may have written over it)");
  };
  if (h.magic != RWD_SB_MAGIC || h.used > RWD_SB_CAPACITY) return corrupt("is damaged");
  std::vector<uint8_t> records(h.used);
  RETURN_IF_ERROR(task.tracee.ReadMemory(task.syscallbuf + RWD_SB_HEADER_SIZE, records));
  Status sound = trace::CheckBufferRecords(records, h.count, task.tracee.arch().syscalls());
  if (!sound.ok()) return corrupt(": " + sound.message());
  uint64_t empty[2] = {0, 0};
  static_assert(offsetof(rwd_sb_header, count) == offsetof(rwd_sb_header, used) + 8);
  RETURN_IF_ERROR(task.tracee.WriteMemory(
      task.syscallbuf + offsetof(rwd_sb_header, used),
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(empty), sizeof(empty))));
  trace::Event event;
  event.tid = task.event_tid();
  event.body = trace::SyscallBatchEvent{.count = h.count, .records = std::move(records)};
  return s_.writer_->Append(event);
}

bool SyscallBufferRecorder::BufferedSinceLastEvent(const RecordTask& task) const {
  if (task.syscallbuf == 0 || !task.syscallbuf_dirty) return false;
  // Unreadable: gone with its process, and nothing was buffered to replay.
  Expected<uint64_t> count =
      task.tracee.Read<uint64_t>(task.syscallbuf + offsetof(rwd_sb_header, count));
  return count.ok() && *count > 0;
}

void SyscallBufferRecorder::LockSyscallBuffer(RecordTask& task, bool locked) {
  if (task.syscallbuf == 0) return;
  uint64_t value = locked ? 1 : 0;
  // A thread gone meanwhile needs no unlocking.
  (void)task.tracee.WriteMemory(
      task.syscallbuf + offsetof(rwd_sb_header, locked),
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&value), sizeof(value)));
}

Status SyscallBufferRecorder::StepOutOfSyscallBuffer(RecordTask& task, arch::Registers& regs) {
  const ProcessState& process = ProcessOf(task);
  const arch::Arch& arch = task.tracee.arch();
  auto inside = [&](uint64_t pc) {
    return (pc >= process.syscallbuf_code_start && pc < process.syscallbuf_code_end) ||
           (pc >= RWD_SB_PAGE && pc < RWD_SB_PAGE + 4096);
  };
  // The traced syscall of the entry code ends the walk: from there on the
  // registers are the same in record and replay (preload/x86_64/entry.S).
  auto at_traced_syscall = [&](uint64_t pc) {
    std::span<const uint8_t> insn = arch.SyscallInsn();
    std::vector<uint8_t> code(insn.size());
    return pc != RWD_SB_UNTRACED_SYSCALL && task.tracee.ReadMemory(pc, code).ok() &&
           std::equal(insn.begin(), insn.end(), code.begin());
  };
  if (!s_.syscallbuf_ || process.syscallbuf_code_end == 0) return Status::Ok();
  for (int steps = 0; inside(arch.Pc(regs)) && !at_traced_syscall(arch.Pc(regs)); ++steps) {
    if (steps == kMaxStepsOutOfLibrary) {
      return Error(
          "thread " + std::to_string(task.tid()) + " did not leave the syscall buffer library in " +
          std::to_string(kMaxStepsOutOfLibrary) + " steps (pc " + Hex(arch.Pc(regs)) + ")");
    }
    RETURN_IF_ERROR(s_.signals_.StepOnce(task));
    ASSIGN_OR_RETURN(regs, task.tracee.GetRegisters());
  }
  return Status::Ok();
}

Status SyscallBufferRecorder::TraceFileWrites(pid_t tgid) {
  const uint64_t on = 1;
  for (const auto& task : s_.tasks_) {
    if (task->tgid != tgid || task->syscallbuf == 0) continue;
    RETURN_IF_ERROR(task->tracee.WriteMemory(
        task->syscallbuf + offsetof(rwd_sb_header, trace_file_writes),
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&on), sizeof(on))));
  }
  return Status::Ok();
}

void SyscallBufferRecorder::NoteSyscallDone(const arch::SyscallInfo& row) {
  // Only these free an fd number for another file or put one there: new
  // fds take numbers no open fd has.
  static constexpr std::string_view kReplacesFds[] = {"close", "close_range", "dup2", "dup3"};
  if (!s_.syscallbuf_ || std::ranges::find(kReplacesFds, row.name) == std::end(kReplacesFds)) {
    return;
  }
  ++fd_generation_;
  for (const auto& task : s_.tasks_) {
    if (task->syscallbuf == 0 || task->zombie) continue;
    // A thread gone meanwhile has no library left to tell.
    (void)task->tracee.WriteMemory(task->syscallbuf + offsetof(rwd_sb_header, fd_generation),
                                   std::span<const uint8_t>(
                                       reinterpret_cast<const uint8_t*>(&fd_generation_),
                                       sizeof(fd_generation_)));
  }
}

void SyscallBufferRecorder::NoteUnbuffered(pid_t tgid) {
  auto it = s_.processes_.find(tgid);
  if (!s_.syscallbuf_ || !s_.on_verbose_ || it == s_.processes_.end()) return;
  const ProcessState& process = it->second;
  if (process.buffered || process.exec_path.empty()) return;
  s_.on_verbose_("process " + std::to_string(tgid) + " (" + process.exec_path +
                 ") ran without the syscall buffer (a static binary, or the "
                 "library did not "
                 "load): its syscalls stopped it");
}

}  // namespace rwd::recorder
