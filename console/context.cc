#include "console/context.h"

#include <signal.h>
#include <sys/wait.h>

#include <charconv>
#include <cinttypes>
#include <cstring>
#include <filesystem>

#include "base/hex.h"
#include "base/signal_name.h"
#include "core/wait_status.h"

namespace rwd::console {

namespace {

using Kind = replayer::ReplayStop::Kind;

}  // namespace

std::string FormatBytes(const std::vector<uint8_t>& bytes) {
  size_t n = bytes.size();
  if (n == 1 || n == 2 || n == 4 || n == 8) {
    uint64_t u = 0;
    memcpy(&u, bytes.data(), n);
    int64_t s = static_cast<int64_t>(u << (64 - 8 * n)) >> (64 - 8 * n);
    std::string text = std::to_string(s);
    if (s < 0 || s > 9) text += " (" + Hex(u) + ")";
    return text;
  }
  std::string text = "{";
  for (size_t i = 0; i < n; ++i) {
    char buf[8];
    snprintf(buf, sizeof(buf), "%s0x%02x", i ? ", " : "", bytes[i]);
    text += buf;
  }
  return text + "}";
}

const Symbols& Context::symbols() {
  if (symbols_stale_ && !session_.live().exited()) {
    symbols_stale_ = false;
    // Without symbols commands still work on addresses; say why once.
    Status s = symbols_.Refresh(session_.live().live_tid().value());
    if (!s.ok()) fprintf(out_, "warning: %s\n", s.message().c_str());
  }
  return symbols_;
}

Expected<pid_t> Context::LiveTid(int tid) {
  RETURN_IF_ERROR(session_.CheckLive());
  for (const replayer::ThreadRef& t : session_.live().Threads()) {
    if (t.tid == RecordedTid(tid)) return t.live_tid.value();
  }
  return session_.live().live_tid().value();
}

Expected<arch::Registers> Context::Registers() {
  RETURN_IF_ERROR(session_.CheckLive());
  return session_.live().GetRegisters(session_.CurrentThread());
}

Expected<uint64_t> Context::Pc() {
  ASSIGN_OR_RETURN(arch::Registers regs, Registers());
  return arch().Pc(regs);
}

Expected<uint64_t> Context::Sp() {
  ASSIGN_OR_RETURN(arch::Registers regs, Registers());
  return arch().Sp(regs);
}

Expected<std::vector<uint8_t>> Context::ReadMemory(uint64_t addr, size_t len) {
  RETURN_IF_ERROR(session_.CheckLive());
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, session_.live().ReadMemory(RemoteAddr(addr), len));
  if (bytes.size() < len) {
    return Status(ErrorCode::kInvalidInput, "cannot read " + std::to_string(len) + " bytes at " +
                                                Hex(addr) + " (not mapped)");
  }
  return bytes;
}

std::string Context::NameAddress(uint64_t addr) {
  CodeLocation where = symbols().Describe(addr);
  if (where.function.empty()) return "";
  std::string name = "<" + where.function;
  if (where.offset) name += "+" + std::to_string(where.offset);
  return name + ">";
}

Expected<uint64_t> Context::RegisterValue(const std::string& name) {
  ASSIGN_OR_RETURN(arch::Registers regs, Registers());
  if (name == "pc") return arch().Pc(regs);
  if (name == "sp") return arch().Sp(regs);
  for (const arch::GdbRegister& r : arch().GdbRegisters()) {
    if (r.name != name) continue;
    if (r.source != arch::RegSource::kGp || r.bitsize > 64) {
      return Status(ErrorCode::kUnsupported,
                    "$" + name + " is not a general-purpose register; gdb shows it");
    }
    uint64_t v = 0;
    memcpy(&v, regs.data() + r.offset, r.bitsize / 8);
    return v;
  }
  return Status(ErrorCode::kNotFound, "no register $" + name + " (see 'info registers')");
}

Expected<uint64_t> Context::ParseAddress(const std::string& text) {
  if (text.empty()) return Status(ErrorCode::kInvalidInput, "an address is missing");
  if (text[0] == '$') return RegisterValue(text.substr(1));
  if (text[0] == '&') return ParseAddress(text.substr(1));  // &global: its address
  uint64_t value = 0;
  bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const char* begin = text.data() + (hex ? 2 : 0);
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, value, hex ? 16 : 10);
  if (ec == std::errc() && ptr == end) return value;
  if (std::optional<SymbolInfo> sym = symbols().Find(text)) return sym->addr;
  return Status(ErrorCode::kNotFound, "no symbol '" + text + "' and not an address");
}

const debugger::Stop& Context::Resume(debugger::Motion motion) {
  // The program's output, reproduced on our stdout, comes after ours.
  fflush(out_);
  // A run may map or unmap code (dlopen, exec, going back before either);
  // a single instruction seldom does, and steps come by the thousand.
  if (motion == debugger::Motion::kContinue || motion == debugger::Motion::kReverseContinue) {
    symbols_stale_ = true;
  }
  return session_.Resume(motion, motion == debugger::Motion::kStep ? Thread() : 0, interrupted_);
}

void Context::SnapshotWatches() {
  watch_before_.clear();
  for (const debugger::Watchpoint& w : session_.watchpoints()) {
    Expected<std::vector<uint8_t>> bytes = ReadMemory(w.range.addr, w.range.len);
    if (bytes.ok()) watch_before_[w.id] = *bytes;
  }
}

std::optional<std::vector<uint8_t>> Context::ValueAfterWrite(const debugger::Watchpoint& w,
                                                             int tid) {
  replayer::Timeline& timeline = session_.timeline();
  if (!timeline.Step(tid).ok()) return std::nullopt;
  Expected<std::vector<uint8_t>> after = ReadMemory(w.range.addr, w.range.len);
  // Back to the writing instruction, where the stop is.
  if (Expected<replayer::ReplayStop> back = timeline.ReverseStep(); !back.ok()) {
    fprintf(out_, "error: %s\n", back.status().message().c_str());
  }
  if (!after.ok()) return std::nullopt;
  return *after;
}

std::string Context::ModuleName(const std::string& path) {
  // Modules are the trace's copies; the program mapped them elsewhere.
  for (const auto& [recorded, copy] : session_.live().mapped_files()) {
    if (copy == path) return std::filesystem::path(recorded).filename().string();
  }
  return std::filesystem::path(path).filename().string();
}

void Context::PrintWhere() {
  if (session_.live().exited()) {
    fprintf(out_, "the process has exited, event %" PRIu64 "\n", session_.live().event_number());
    return;
  }
  Expected<uint64_t> pc = Pc();
  std::string where;
  if (pc.ok()) {
    CodeLocation loc = symbols().Describe(*pc);
    where = loc.function.empty() ? "?? (" + Hex(*pc) + ")" : loc.function + " (" + Hex(*pc) + ")";
    if (loc.source) {
      where += " at " + loc.source->file + ":" + std::to_string(loc.source->line);
    } else if (!loc.module.empty()) {
      where += " in " + ModuleName(loc.module);
    }
  } else {
    where = "(no registers: " + pc.status().message() + ")";
  }
  fprintf(out_, "thread %d: %s, event %" PRIu64 "\n", Thread(), where.c_str(),
          session_.live().event_number());
}

void Context::PrintStop(const debugger::Stop& stop, bool reverse) {
  if (!stop.error.ok()) fprintf(out_, "error: %s\n", stop.error.message().c_str());
  const replayer::ReplayStop& r = stop.replay;
  switch (r.kind) {
    case Kind::kBreakpoint:
      for (const debugger::Breakpoint& b : session_.breakpoints()) {
        if (b.addr != r.addr) continue;
        fprintf(out_, "Breakpoint %d, ", b.id);
        break;
      }
      break;
    case Kind::kWatchpoint:
      if (stop.watchpoint) {
        const debugger::Watchpoint& w = *stop.watchpoint;
        fprintf(out_, "Watchpoint %d: %s\n", w.id, watch_names_[w.id].c_str());
        Expected<std::vector<uint8_t>> now = ReadMemory(w.range.addr, w.range.len);
        std::optional<std::vector<uint8_t>> old_value, new_value;
        if (now.ok() && !reverse) {
          if (auto before = watch_before_.find(w.id); before != watch_before_.end()) {
            old_value = before->second;
            new_value = *now;
          }
        } else if (now.ok()) {
          // Going backwards the stop is on the writing instruction, before
          // the write: its result is one instruction ahead.
          old_value = *now;
          new_value = ValueAfterWrite(w, stop.tid);
        }
        if (old_value && new_value) {
          fprintf(out_, "Old value = %s\nNew value = %s\n", FormatBytes(*old_value).c_str(),
                  FormatBytes(*new_value).c_str());
        }
      }
      break;
    case Kind::kSignal:
      fprintf(out_, "Thread %d received signal %s\n", stop.tid, SignalName(r.signo).c_str());
      break;
    case Kind::kExited:
      if (WIFSIGNALED(r.wait_status)) {
        fprintf(out_, "The program was killed by %s\n",
                SignalName(WTERMSIG(r.wait_status)).c_str());
      } else {
        fprintf(out_, "The program exited with code %d\n", WEXITSTATUS(r.wait_status));
      }
      break;
    case Kind::kEndOfTrace:
      if (r.exit_ahead) {
        if (WIFSIGNALED(r.wait_status)) {
          fprintf(out_, "The program was killed by %s",
                  SignalName(WTERMSIG(r.wait_status)).c_str());
        } else {
          fprintf(out_, "The program exited with code %d", WEXITSTATUS(r.wait_status));
        }
        fprintf(out_, " (the end of its history: reverse commands go back from here)\n");
      } else {
        fprintf(out_, "End of the recording: %s\n", r.note.c_str());
      }
      break;
    case Kind::kHistoryStart:
      fprintf(out_, "No more reverse-execution history: the start of the recording.\n");
      break;
    case Kind::kInterrupted:
      fprintf(out_, "Interrupted.\n");
      break;
    case Kind::kSyscallEntry:
    case Kind::kSyscallReturn:
      for (const debugger::Catchpoint& c : session_.catchpoints()) {
        if (!c.syscalls.Catches(r.syscall_nr)) continue;
        fprintf(out_, "Catchpoint %d (%s syscall %s), ", c.id,
                r.kind == Kind::kSyscallEntry ? "call to" : "returned from",
                session_.arch().syscalls().NameOf(r.syscall_nr).c_str());
        break;
      }
      break;
    case Kind::kStep:
    case Kind::kEventBoundary:
      break;
  }
  PrintWhere();
}

}  // namespace rwd::console
