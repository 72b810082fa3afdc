// Running and stepping, breakpoints and watchpoints (console/command_table.h).
#include <algorithm>
#include <charconv>
#include <span>

#include "base/hex.h"
#include "console/command_table.h"
#include "console/source_stepper.h"

namespace rwd::console {

namespace {

using debugger::Motion;
using debugger::Stop;

Expected<uint64_t> ParseNumber(const std::string& text, const std::string& what) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status(ErrorCode::kInvalidInput, "'" + text + "' is not " + what);
  }
  return v;
}

// Where `break FUNCTION` goes: past the prologue the line table shows, as
// gdb places it, unless the function's first line does more than set up a
// frame. Optimized code (glibc's write) has its whole fast path there,
// syscall and return included; past it the call would already have
// happened. gdb puts such breakpoints at the entry too (a frameless
// function has no prologue to skip).
uint64_t FunctionBreakpointAddress(Context& cx, const SymbolInfo& function) {
  uint64_t body = *cx.symbols().BreakpointAddress(function);
  if (body <= function.addr) return function.addr;
  Expected<std::vector<uint8_t>> code = cx.ReadMemory(function.addr, body - function.addr);
  if (!code.ok()) return function.addr;
  std::span<const uint8_t> syscall = cx.arch().SyscallInsn();
  uint64_t decoded_end = function.addr;
  for (const arch::DecodedInsn& insn : cx.arch().Disassemble(*code, function.addr, code->size())) {
    size_t at = insn.addr - function.addr;
    bool is_syscall = insn.length == syscall.size() &&
                      std::equal(syscall.begin(), syscall.end(), code->begin() + at);
    if (insn.is_call || insn.is_return || insn.branch_target || is_syscall) return function.addr;
    decoded_end = insn.addr + insn.length;
  }
  // Bytes that do not decode: not a prologue to skip.
  return decoded_end == body ? body : function.addr;
}

// Where `break LOCATION` goes: *ADDR, FILE:LINE or a function.
Expected<uint64_t> ResolveLocation(Context& cx, const std::string& location) {
  if (location.empty()) {
    return Status(ErrorCode::kInvalidInput, "usage: break FUNCTION|FILE:LINE|*ADDR");
  }
  if (location[0] == '*') return cx.ParseAddress(location.substr(1));
  size_t colon = location.rfind(':');
  bool file_line = colon != std::string::npos && colon + 1 < location.size() &&
                   location.find_first_not_of("0123456789", colon + 1) == std::string::npos;
  if (file_line) {
    std::string file = location.substr(0, colon);
    ASSIGN_OR_RETURN(uint64_t line, ParseNumber(location.substr(colon + 1), "a line number"));
    std::optional<uint64_t> addr = cx.symbols().LineAddress(file, static_cast<int>(line));
    if (!addr) {
      return Status(ErrorCode::kNotFound, "no code at " + location +
                                              " (is the program built with -g, and is that "
                                              "file part of it?)");
    }
    return *addr;
  }
  std::optional<SymbolInfo> sym = cx.symbols().Find(location);
  if (!sym || !sym->is_function) {
    return Status(ErrorCode::kNotFound, "no function '" + location +
                                            "' in the program or "
                                            "the libraries it has loaded so far");
  }
  return FunctionBreakpointAddress(cx, *sym);
}

Status Report(Context& cx, const Stop& stop, bool reverse) {
  cx.PrintStop(stop, reverse);
  return Status::Ok();
}

Status Run(Context& cx, Motion motion) {
  cx.SnapshotWatches();
  bool reverse = motion == Motion::kReverseContinue || motion == Motion::kReverseStep;
  return Report(cx, cx.Resume(motion), reverse);
}

Status Source(Context& cx, Stop (*motion)(Context&, bool), bool over_calls, bool reverse) {
  RETURN_IF_ERROR(cx.session().CheckLive());
  cx.SnapshotWatches();
  return Report(cx, motion(cx, over_calls), reverse);
}

}  // namespace

Status BreakCommand(Context& cx, const std::string& args) {
  ASSIGN_OR_RETURN(uint64_t addr, ResolveLocation(cx, args));
  ASSIGN_OR_RETURN(int id, cx.session().AddBreakpoint(addr));
  CodeLocation where = cx.symbols().Describe(addr);
  std::string text = "Breakpoint " + std::to_string(id) + " at " + Hex(addr);
  if (!where.function.empty()) text += ": " + where.function;
  if (where.source)
    text += " (" + where.source->file + ":" + std::to_string(where.source->line) + ")";
  cx.Print(text + "\n");
  return Status::Ok();
}

Status DeleteCommand(Context& cx, const std::string& args) {
  debugger::DebuggerSession& s = cx.session();
  if (args.empty()) {
    while (!s.breakpoints().empty()) RETURN_IF_ERROR(s.DeleteBreakpoint(s.breakpoints()[0].id));
    while (!s.watchpoints().empty()) RETURN_IF_ERROR(s.DeleteWatchpoint(s.watchpoints()[0].id));
    while (!s.catchpoints().empty()) RETURN_IF_ERROR(s.DeleteCatchpoint(s.catchpoints()[0].id));
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(uint64_t id, ParseNumber(args, "a breakpoint number"));
  for (const debugger::Watchpoint& w : s.watchpoints()) {
    if (w.id == static_cast<int>(id)) return s.DeleteWatchpoint(w.id);
  }
  for (const debugger::Catchpoint& c : s.catchpoints()) {
    if (c.id == static_cast<int>(id)) return s.DeleteCatchpoint(c.id);
  }
  return s.DeleteBreakpoint(static_cast<int>(id));
}

Status InfoBreakpointsCommand(Context& cx, const std::string&) {
  if (cx.session().breakpoints().empty() && cx.session().watchpoints().empty() &&
      cx.session().catchpoints().empty()) {
    cx.Print("No breakpoints or watchpoints.\n");
  }
  for (const debugger::Breakpoint& b : cx.session().breakpoints()) {
    cx.Print(std::to_string(b.id) + "\tbreakpoint\t" + Hex(b.addr) + " " + cx.NameAddress(b.addr) +
             "\n");
  }
  for (const debugger::Watchpoint& w : cx.session().watchpoints()) {
    cx.Print(std::to_string(w.id) + "\twatchpoint\t" + Hex(w.range.addr) + ", " +
             std::to_string(w.range.len) + " bytes\t" + cx.watch_names()[w.id] + "\n");
  }
  for (const debugger::Catchpoint& c : cx.session().catchpoints()) {
    cx.Print(std::to_string(c.id) + "\tcatchpoint\t" + DescribeCatchpoint(cx, c) + "\n");
  }
  return Status::Ok();
}

Status WatchCommand(Context& cx, const std::string& args) {
  std::string what = args, len_text;
  if (size_t space = args.find_first_of(" \t"); space != std::string::npos) {
    what = args.substr(0, space);
    len_text = args.substr(args.find_first_not_of(" \t", space));
  }
  if (what.empty()) return Status(ErrorCode::kInvalidInput, "usage: watch SYMBOL|ADDR [LEN]");
  uint64_t len = 0;
  uint64_t addr = 0;
  std::optional<SymbolInfo> sym = cx.symbols().Find(what);
  if (sym && !sym->is_function) {
    addr = sym->addr;
    len = sym->size;
  } else {
    ASSIGN_OR_RETURN(addr, cx.ParseAddress(what));
  }
  if (!len_text.empty()) {
    ASSIGN_OR_RETURN(len, ParseNumber(len_text, "a length in bytes"));
  }
  if (len == 0) len = 8;  // an address alone: a machine word, as gdb's watch *(long*)ADDR
  if (len > debugger::DebuggerSession::kMaxWatchBytes) {
    return Status(ErrorCode::kInvalidInput, "a watchpoint covers at most 1 MiB");
  }
  ASSIGN_OR_RETURN(int id, cx.session().AddWatchpoint(arch::HwWatch{
                               addr, static_cast<uint32_t>(len), arch::HwKind::kWrite}));
  cx.watch_names()[id] = what;
  cx.Print("Watchpoint " + std::to_string(id) + ": " + what + " (" + Hex(addr) + ", " +
           std::to_string(len) + " bytes)\n");
  return Status::Ok();
}

Status ContinueCommand(Context& cx, const std::string&) { return Run(cx, Motion::kContinue); }
Status ReverseContinueCommand(Context& cx, const std::string&) {
  return Run(cx, Motion::kReverseContinue);
}
Status StepiCommand(Context& cx, const std::string&) { return Run(cx, Motion::kStep); }
Status ReverseStepiCommand(Context& cx, const std::string&) {
  return Run(cx, Motion::kReverseStep);
}

Status StepCommand(Context& cx, const std::string&) { return Source(cx, StepLine, false, false); }
Status NextCommand(Context& cx, const std::string&) { return Source(cx, StepLine, true, false); }
Status ReverseStepCommand(Context& cx, const std::string&) {
  return Source(cx, ReverseStepLine, false, true);
}
Status ReverseNextCommand(Context& cx, const std::string&) {
  return Source(cx, ReverseStepLine, true, true);
}
Status FinishCommand(Context& cx, const std::string&) {
  return Source(
      cx, [](Context& c, bool) { return Finish(c); }, false, false);
}
Status ReverseFinishCommand(Context& cx, const std::string&) {
  return Source(
      cx, [](Context& c, bool) { return ReverseFinish(c); }, false, true);
}

}  // namespace rwd::console
