#include "console/source_stepper.h"

#include <functional>

#include "base/hex.h"
#include "console/backtrace.h"
#include "console/pending_breakpoints.h"

namespace rwd::console {

namespace {

using Kind = replayer::ReplayStop::Kind;
using debugger::Motion;
using debugger::Stop;

// A line whose instructions run this often without reaching another line
// (a busy loop on one line) ends the step with a message, as does Ctrl-C.
constexpr int kMaxSteps = 200000;

bool Plain(const Stop& stop) { return stop.error.ok() && stop.replay.kind == Kind::kStep; }

Stop Failed(Context& cx, const Status& why) {
  Stop stop = cx.session().last_stop();
  stop.error = why;
  return stop;
}

Stop Interrupted(Context& cx) {
  Stop stop = cx.session().last_stop();
  stop.replay.kind = Kind::kInterrupted;
  return stop;
}

std::optional<arch::DecodedInsn> InsnAt(Context& cx, uint64_t pc) {
  Expected<std::vector<uint8_t>> code = cx.session().live().ReadMemory(RemoteAddr(pc), 16);
  if (!code.ok() || code->empty()) return std::nullopt;
  std::vector<arch::DecodedInsn> insns = cx.arch().Disassemble(*code, pc, 1);
  if (insns.empty()) return std::nullopt;
  return insns.front();
}

// Whether `row` starts its line: the row just below it belongs to another
// line (a line whose code a call splits into rows starts at its first).
bool StartsLine(Context& cx, const SourceLine& row) {
  std::optional<SourceLine> before = cx.symbols().LineAt(row.start - 1);
  return !before || !before->SameLine(row) || before->end != row.start;
}

uint64_t FunctionOf(Context& cx, uint64_t pc) { return cx.symbols().Describe(pc).function_start; }

// Runs (forward or back) to `addr` in the current thread where `arrived`
// holds; any other stop ends it.
Stop RunTo(Context& cx, uint64_t addr, bool reverse, const std::function<bool()>& arrived) {
  int tid = cx.Thread();
  if (Status s = cx.session().InsertTemporaryBreakpoint(addr); !s.ok()) return Failed(cx, s);
  Stop stop;
  while (true) {
    stop = reverse ? cx.Resume(Motion::kReverseContinue) : ContinueForward(cx);
    bool ours = stop.error.ok() && stop.replay.kind == Kind::kBreakpoint &&
                stop.replay.addr == addr && stop.tid == tid;
    if (!ours || arrived()) break;
  }
  if (Status s = cx.session().RemoveTemporaryBreakpoint(addr); !s.ok() && stop.error.ok()) {
    stop.error = s;
  }
  if (stop.error.ok() && stop.replay.kind == Kind::kBreakpoint && stop.replay.addr == addr) {
    bool users = false;
    for (const debugger::Breakpoint& b : cx.session().breakpoints()) users |= b.addr == addr;
    if (!users) stop.replay.kind = Kind::kStep;
  }
  return stop;
}

// The caller of the current frame: its pc (a return address) and sp.
Expected<Frame> Caller(Context& cx) {
  ASSIGN_OR_RETURN(pid_t live_tid, cx.LiveTid(cx.Thread()));
  std::string error;
  std::vector<Frame> frames = Unwind(live_tid, cx.symbols(), 2, &error);
  if (frames.size() < 2) {
    return Status(ErrorCode::kInvalidInput,
                  "the outermost frame has no caller" + (error.empty() ? "" : " (" + error + ")"));
  }
  return frames[1];
}

// Forward past the call at `call`: to its return address with the stack
// pointer back where it was before the call.
Stop StepOverCall(Context& cx, const arch::DecodedInsn& call, uint64_t sp_before) {
  return RunTo(cx, call.addr + call.length, false, [&] {
    Expected<uint64_t> sp = cx.Sp();
    return sp.ok() && *sp >= sp_before;
  });
}

// Back from anywhere in a function to the instruction that called it.
Stop BackToCall(Context& cx) {
  Expected<uint64_t> pc = cx.Pc();
  if (!pc.ok()) return Failed(cx, pc.status());
  uint64_t entry = FunctionOf(cx, *pc);
  Expected<Frame> caller = Caller(cx);
  if (entry != 0 && *pc != entry && caller.ok()) {
    Stop stop = RunTo(cx, entry, true, [&] {
      Expected<Frame> here = Caller(cx);
      return here.ok() && here->pc == caller->pc && here->sp == caller->sp;
    });
    if (!Plain(stop)) return stop;
  }
  return cx.Resume(Motion::kReverseStep);
}

}  // namespace

Stop StepLine(Context& cx, bool over_calls) {
  Expected<uint64_t> pc = cx.Pc();
  if (!pc.ok()) return Failed(cx, pc.status());
  std::optional<SourceLine> line = cx.symbols().LineAt(*pc);
  if (!line) return Finish(cx);  // no line information here: out to the caller
  for (int steps = 0; steps < kMaxSteps; ++steps) {
    if (cx.interrupted() && cx.interrupted()()) return Interrupted(cx);
    std::optional<arch::DecodedInsn> insn = InsnAt(cx, *pc);
    Expected<uint64_t> sp_before = cx.Sp();
    Stop stop = cx.Resume(Motion::kStep);
    if (!Plain(stop)) return stop;
    pc = cx.Pc();
    if (!pc.ok()) return Failed(cx, pc.status());
    bool entered = insn && insn->is_call && *pc != insn->addr + insn->length;
    if (entered) {
      std::optional<SourceLine> callee = cx.symbols().LineAt(*pc);
      if (over_calls || !callee) {
        stop = StepOverCall(cx, *insn, sp_before.ok() ? *sp_before : 0);
        if (!Plain(stop)) return stop;
        pc = cx.Pc();
        if (!pc.ok()) return Failed(cx, pc.status());
      } else {
        // Into the callee: its first line is the prologue; stop at the
        // next one, its body.
        line = callee;
        continue;
      }
    } else if (insn && insn->is_return) {
      // Back in the caller, in the middle of the call's line: finish it.
      if (std::optional<SourceLine> caller = cx.symbols().LineAt(*pc)) line = caller;
      continue;
    }
    std::optional<SourceLine> now = cx.symbols().LineAt(*pc);
    if (now && !now->SameLine(*line) && *pc == now->start) return stop;
  }
  return Failed(cx,
                Status(ErrorCode::kUnsupported, "stopped after " + std::to_string(kMaxSteps) +
                                                    " instructions without reaching another line"));
}

Stop Finish(Context& cx) {
  Expected<Frame> caller = Caller(cx);
  if (!caller.ok()) return Failed(cx, caller.status());
  fprintf(cx.out(), "Run till exit to %s\n", Hex(caller->pc).c_str());
  return ReturnToCaller(cx);
}

Stop ReturnToCaller(Context& cx) {
  Expected<Frame> caller = Caller(cx);
  if (!caller.ok()) return Failed(cx, caller.status());
  uint64_t caller_sp = caller->sp;
  return RunTo(cx, caller->pc, false, [&] {
    Expected<uint64_t> sp = cx.Sp();
    return sp.ok() && *sp >= caller_sp;
  });
}

Stop ReverseFinish(Context& cx) { return BackToCall(cx); }

Stop ReverseStepLine(Context& cx, bool over_calls) {
  Expected<uint64_t> pc = cx.Pc();
  if (!pc.ok()) return Failed(cx, pc.status());
  std::optional<SourceLine> line = cx.symbols().LineAt(*pc);
  uint64_t function = FunctionOf(cx, *pc);
  // Back until the thread is on another line, then on to the first
  // instruction of that line's row.
  bool found_line = false;
  for (int steps = 0; steps < kMaxSteps; ++steps) {
    if (cx.interrupted() && cx.interrupted()()) return Interrupted(cx);
    Stop stop = cx.Resume(Motion::kReverseStep);
    if (!Plain(stop)) return stop;
    pc = cx.Pc();
    if (!pc.ok()) return Failed(cx, pc.status());
    std::optional<arch::DecodedInsn> insn = InsnAt(cx, *pc);
    uint64_t here_function = FunctionOf(cx, *pc);
    if (here_function != function && insn && insn->is_return) {
      // Back into a callee, at its return: out to its call, or (step) into
      // the callee's last line, as gdb's reverse-step does.
      if (over_calls || !cx.symbols().LineAt(*pc)) {
        stop = BackToCall(cx);
        if (!Plain(stop)) return stop;
        pc = cx.Pc();
        if (!pc.ok()) return Failed(cx, pc.status());
      } else {
        line = cx.symbols().LineAt(*pc);
        function = here_function;
        found_line = true;
      }
    }
    std::optional<SourceLine> now = cx.symbols().LineAt(*pc);
    if (!now) continue;
    if (!found_line) {
      if (line && now->SameLine(*line) && FunctionOf(cx, *pc) == function) continue;
      line = now;
      function = FunctionOf(cx, *pc);
      found_line = true;
    }
    // At the first instruction of the line's row, or in another line a
    // jump came from: that is where the line starts.
    if ((*pc == now->start && StartsLine(cx, *now)) || !now->SameLine(*line)) return stop;
  }
  return Failed(cx,
                Status(ErrorCode::kUnsupported, "stopped after " + std::to_string(kMaxSteps) +
                                                    " instructions without reaching another line"));
}

}  // namespace rwd::console
