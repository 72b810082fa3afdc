#include "console/pending_breakpoints.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <span>

#include "console/source_stepper.h"

namespace rwd::console {

namespace {

using debugger::Motion;
using debugger::Stop;

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

// The executable file of the replayed process now: another one after an
// exec into another program.
std::string Executable(Context& cx) {
  Expected<pid_t> tid = cx.LiveTid(cx.Thread());
  std::error_code ec;
  if (!tid.ok()) return "";
  std::filesystem::path exe =
      std::filesystem::read_symlink("/proc/" + std::to_string(*tid) + "/exe", ec);
  return ec ? "" : exe.string();
}

// Breakpoints set by name in the program an exec replaced: pending again,
// to be set in the new program (their addresses were the old one's; left
// there they would patch whatever code the new program has there).
void ForgetOldImage(Context& cx) {
  std::vector<debugger::Breakpoint> old = cx.session().breakpoints();
  for (const debugger::Breakpoint& b : old) {
    auto location = cx.breakpoint_locations().find(b.id);
    if (location == cx.breakpoint_locations().end()) continue;
    if (!cx.session().DeleteBreakpoint(b.id).ok()) continue;
    cx.pending_breakpoints().push_back({b.id, location->second, 0});
    cx.breakpoint_locations().erase(location);
  }
}

// Whether a forward run must stop where code may come: for pending
// breakpoints, and for breakpoints set by name, which an exec moves.
bool WatchesLoads(Context& cx) {
  if (!cx.pending_breakpoints().empty()) return true;
  for (const debugger::Breakpoint& b : cx.session().breakpoints()) {
    if (cx.breakpoint_locations().count(b.id)) return true;
  }
  return false;
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
    cx.breakpoint_locations()[it->id] = it->location;
    it = pending.erase(it);
  }
  return std::optional<Stop>();
}

// A forward run while breakpoints are pending: it stops, unseen, where
// code comes that may define them: each time the dynamic loader has loaded
// or unloaded a library (its _dl_debug_state hook, where gdb stops for the
// same reason), and at the resolvers of pending indirect functions. A
// breakpoint so resolved takes effect before its code runs.
Stop ContinueThroughLibraryLoads(Context& cx) {
  std::string executable = Executable(cx);
  for (;;) {
    ResolvePending(cx);
    std::vector<uint64_t> hooks;
    for (const Context::PendingBreakpoint& p : cx.pending_breakpoints()) {
      if (p.resolver) hooks.push_back(p.resolver);
    }
    std::optional<SymbolInfo> loader_hook = cx.symbols().Find("_dl_debug_state");
    if (loader_hook && WatchesLoads(cx)) hooks.push_back(loader_hook->addr);
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
    // The loader's first report after an exec comes before the new
    // program's code runs.
    if (std::string now = Executable(cx); now != executable) {
      ForgetOldImage(cx);
      executable = now;
    }
  }
}

}  // namespace

Expected<uint64_t> ResolveLocation(Context& cx, const std::string& location,
                                   uint64_t* unbound_resolver) {
  if (location.empty()) {
    return Status(ErrorCode::kInvalidInput, "usage: break FUNCTION|FILE:LINE|*ADDR");
  }
  if (location[0] == '*') return cx.ParseAddress(location.substr(1));
  size_t colon = location.rfind(':');
  bool file_line = colon != std::string::npos && colon + 1 < location.size() &&
                   location.find_first_not_of("0123456789", colon + 1) == std::string::npos;
  if (file_line) {
    std::string file = location.substr(0, colon);
    int line = 0;
    const char* digits = location.data() + colon + 1;
    const char* end = location.data() + location.size();
    if (std::from_chars(digits, end, line).ptr != end) {
      return Status(ErrorCode::kInvalidInput, "'" + std::string(digits) + "' is not a line number");
    }
    std::optional<uint64_t> addr = cx.symbols().LineAddress(file, line);
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

void ResolvePending(Context& cx) {
  std::vector<Context::PendingBreakpoint>& pending = cx.pending_breakpoints();
  std::erase_if(pending, [&](Context::PendingBreakpoint& p) {
    p.resolver = 0;
    Expected<uint64_t> addr = ResolveLocation(cx, p.location, &p.resolver);
    if (!addr.ok()) return false;
    Status added = cx.session().AddBreakpoint(*addr, p.id).status();
    if (!added.ok())
      cx.Print("warning: breakpoint " + std::to_string(p.id) + ": " + added.message() + "\n");
    if (added.ok() && p.location[0] != '*') cx.breakpoint_locations()[p.id] = p.location;
    return added.ok();
  });
}

Stop ContinueForward(Context& cx) {
  ResolvePending(cx);
  // Taking a resolver's result runs forward to the resolver's caller
  // (ReturnToCaller, from inside ContinueThroughLibraryLoads): that run
  // goes without the hooks it is handling.
  static bool in_hook = false;
  if (!WatchesLoads(cx) || in_hook) return cx.Resume(Motion::kContinue);
  in_hook = true;
  Stop stop = ContinueThroughLibraryLoads(cx);
  in_hook = false;
  return stop;
}

}  // namespace rwd::console
