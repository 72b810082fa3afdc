// Running and stepping, breakpoints and watchpoints (console/command_table.h).
#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
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

// The implementation calls of indirect function `resolver` reach, where
// the program has bound a GOT slot to it (gdb looks there first too).
// Slots not bound yet (lazy binding) point into their own module's PLT.
std::optional<uint64_t> BoundIndirectTarget(Context& cx, const SymbolInfo& resolver) {
  std::string module = cx.symbols().Describe(resolver.addr).module;
  for (uint64_t slot : cx.symbols().GotSlots(resolver.name)) {
    Expected<std::vector<uint8_t>> word = cx.ReadMemory(slot, sizeof(uint64_t));
    if (!word.ok() || word->size() != sizeof(uint64_t)) continue;
    uint64_t target = 0;
    std::memcpy(&target, word->data(), sizeof target);
    CodeLocation at = cx.symbols().Describe(target);
    if (target != resolver.addr && at.module == module && at.function_start == target) {
      return target;
    }
  }
  return std::nullopt;
}

// Where `break LOCATION` goes: *ADDR, FILE:LINE or a function. An indirect
// function that no call is bound to yet is not found; `unbound_resolver`
// then says where its resolver is.
Expected<uint64_t> ResolveLocation(Context& cx, const std::string& location,
                                   uint64_t* unbound_resolver = nullptr) {
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
  if (sym->is_indirect) {
    // Its implementations are mostly assembly: no prologue to skip.
    if (std::optional<uint64_t> target = BoundIndirectTarget(cx, *sym)) return *target;
    if (unbound_resolver) *unbound_resolver = sym->addr;
    return Status(ErrorCode::kNotFound, "'" + location +
                                            "' is an indirect function: which code runs is "
                                            "chosen when the program first calls it");
  }
  return FunctionBreakpointAddress(cx, *sym);
}

Status Report(Context& cx, const Stop& stop, bool reverse) {
  cx.PrintStop(stop, reverse);
  return Status::Ok();
}

// Gives each pending breakpoint whose location the loaded code now defines
// its address.
void ResolvePending(Context& cx) {
  std::vector<Context::PendingBreakpoint>& pending = cx.pending_breakpoints();
  std::erase_if(pending, [&](Context::PendingBreakpoint& p) {
    p.resolver = 0;
    Expected<uint64_t> addr = ResolveLocation(cx, p.location, &p.resolver);
    if (!addr.ok()) return false;
    Status added = cx.session().AddBreakpoint(*addr, p.id).status();
    if (!added.ok())
      cx.Print("warning: breakpoint " + std::to_string(p.id) + ": " + added.message() + "\n");
    return added.ok();
  });
}

bool IsUsersBreakpoint(Context& cx, uint64_t addr) {
  return std::any_of(cx.session().breakpoints().begin(), cx.session().breakpoints().end(),
                     [&](const debugger::Breakpoint& b) { return b.addr == addr; });
}

// A pending indirect function's resolver was called: out to its caller,
// where its result is the code calls will reach; the breakpoint goes there.
Expected<std::optional<Stop>> TakeResolverResult(Context& cx, uint64_t resolver) {
  const Stop stop = ReturnToCaller(cx);
  if (!stop.error.ok() || stop.replay.kind != replayer::ReplayStop::Kind::kStep) {
    return std::optional<Stop>(stop);
  }
  ASSIGN_OR_RETURN(arch::Registers regs, cx.Registers());
  uint64_t target = cx.arch().FunctionResult(regs);
  std::vector<Context::PendingBreakpoint>& pending = cx.pending_breakpoints();
  for (auto it = pending.begin(); it != pending.end();) {
    if (it->resolver != resolver) {
      ++it;
      continue;
    }
    RETURN_IF_ERROR(cx.session().AddBreakpoint(target, it->id).status());
    it = pending.erase(it);
  }
  return std::optional<Stop>();
}

// `continue` while breakpoints are pending: the run stops, unseen, where
// code comes that may define them: each time the dynamic loader has loaded
// or unloaded a library (its _dl_debug_state hook, where gdb stops for the
// same reason), and at the resolvers of pending indirect functions. A
// breakpoint so resolved takes effect before its code runs.
Stop ContinueThroughLibraryLoads(Context& cx) {
  for (;;) {
    ResolvePending(cx);
    std::vector<uint64_t> hooks;
    for (const Context::PendingBreakpoint& p : cx.pending_breakpoints()) {
      if (p.resolver) hooks.push_back(p.resolver);
    }
    std::optional<SymbolInfo> loader_hook = cx.symbols().Find("_dl_debug_state");
    if (loader_hook && !cx.pending_breakpoints().empty()) hooks.push_back(loader_hook->addr);
    // A static program loads nothing: nothing to wait for.
    if (hooks.empty()) return cx.Resume(Motion::kContinue);
    for (uint64_t hook : hooks) {
      if (Status s = cx.session().InsertTemporaryBreakpoint(hook); !s.ok()) {
        cx.Print("warning: pending breakpoints may be missed: " + s.message() + "\n");
      }
    }
    Stop stop = cx.Resume(Motion::kContinue);
    for (uint64_t hook : hooks) (void)cx.session().RemoveTemporaryBreakpoint(hook);
    bool at_hook = stop.error.ok() && stop.replay.kind == replayer::ReplayStop::Kind::kBreakpoint &&
                   std::count(hooks.begin(), hooks.end(), stop.replay.addr) > 0 &&
                   !IsUsersBreakpoint(cx, stop.replay.addr);
    if (!at_hook) return stop;
    if (!loader_hook || stop.replay.addr != loader_hook->addr) {
      Expected<std::optional<Stop>> other = TakeResolverResult(cx, stop.replay.addr);
      if (!other.ok()) {
        stop.error = other.status();
        return stop;
      }
      if (*other) return **other;
    }
    cx.CommandDone();  // a library came or went: read the modules again
  }
}

Status Run(Context& cx, Motion motion) {
  cx.SnapshotWatches();
  ResolvePending(cx);
  bool reverse = motion == Motion::kReverseContinue || motion == Motion::kReverseStep;
  if (motion == Motion::kContinue && !cx.pending_breakpoints().empty()) {
    return Report(cx, ContinueThroughLibraryLoads(cx), reverse);
  }
  return Report(cx, cx.Resume(motion), reverse);
}

Status Source(Context& cx, Stop (*motion)(Context&, bool), bool over_calls, bool reverse) {
  RETURN_IF_ERROR(cx.session().CheckLive());
  cx.SnapshotWatches();
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
