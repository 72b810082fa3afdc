// Running and stepping, breakpoints and watchpoints (console/command_table.h).
#include <charconv>
#include <map>
#include <vector>

#include "base/hex.h"
#include "console/command_table.h"
#include "console/pending_breakpoints.h"
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

Status Report(Context& cx, const Stop& stop, bool reverse) {
  cx.PrintStop(stop, reverse);
  return Status::Ok();
}

Status Run(Context& cx, Motion motion) {
  cx.SnapshotWatches();
  ResolvePending(cx);
  bool reverse = motion == Motion::kReverseContinue || motion == Motion::kReverseStep;
  if (motion == Motion::kContinue) return Report(cx, ContinueForward(cx), reverse);
  return Report(cx, cx.Resume(motion), reverse);
}

Status Source(Context& cx, Stop (*motion)(Context&, bool), bool over_calls, bool reverse) {
  RETURN_IF_ERROR(cx.session().CheckLive());
  cx.SnapshotWatches();
  ResolvePending(cx);
  return Report(cx, motion(cx, over_calls), reverse);
}

}  // namespace

Status BreakCommand(Context& cx, const std::string& args) {
  uint64_t unbound_resolver = 0;
  Expected<uint64_t> resolved = ResolveLocation(cx, args, &unbound_resolver);
  if (!resolved.ok() && resolved.status().code() == ErrorCode::kNotFound) {
    // As gdb in a script: pending on a library not loaded yet.
    int id = cx.session().ReserveId();
    cx.pending_breakpoints().push_back({id, args, unbound_resolver});
    cx.Print(resolved.status().message() + ".\nBreakpoint " + std::to_string(id) + " (" + args +
             ") pending: it is set " +
             (unbound_resolver ? "where that first call goes" : "when a library defines it") +
             ".\n");
    return Status::Ok();
  }
  if (!resolved.ok()) return resolved.status();
  uint64_t addr = *resolved;
  ASSIGN_OR_RETURN(int id, cx.session().AddBreakpoint(addr));
  if (args[0] != '*') cx.breakpoint_locations()[id] = args;
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
    cx.pending_breakpoints().clear();
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(uint64_t id, ParseNumber(args, "a breakpoint number"));
  if (std::erase_if(cx.pending_breakpoints(), [&](const Context::PendingBreakpoint& p) {
        return p.id == static_cast<int>(id);
      }) > 0) {
    return Status::Ok();
  }
  for (const debugger::Watchpoint& w : s.watchpoints()) {
    if (w.id == static_cast<int>(id)) return s.DeleteWatchpoint(w.id);
  }
  for (const debugger::Catchpoint& c : s.catchpoints()) {
    if (c.id == static_cast<int>(id)) return s.DeleteCatchpoint(c.id);
  }
  return s.DeleteBreakpoint(static_cast<int>(id));
}

Status InfoBreakpointsCommand(Context& cx, const std::string&) {
  // One numbering for all kinds, listed in its order as gdb does.
  std::map<int, std::string> rows;
  for (const Context::PendingBreakpoint& p : cx.pending_breakpoints()) {
    rows[p.id] = "breakpoint\t<PENDING> " + p.location;
  }
  for (const debugger::Breakpoint& b : cx.session().breakpoints()) {
    rows[b.id] = "breakpoint\t" + Hex(b.addr) + " " + cx.NameAddress(b.addr);
  }
  for (const debugger::Watchpoint& w : cx.session().watchpoints()) {
    rows[w.id] = "watchpoint\t" + Hex(w.range.addr) + ", " + std::to_string(w.range.len) +
                 " bytes\t" + cx.watch_names()[w.id];
  }
  for (const debugger::Catchpoint& c : cx.session().catchpoints()) {
    rows[c.id] = "catchpoint\t" + DescribeCatchpoint(cx, c);
  }
  if (rows.empty()) cx.Print("No breakpoints or watchpoints.\n");
  for (const auto& [id, row] : rows) cx.Print(std::to_string(id) + "\t" + row + "\n");
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
