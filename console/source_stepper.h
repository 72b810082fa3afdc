// Source-level motion for the console, built from instruction steps,
// reverse instruction steps and the debugger's temporary breakpoints, with
// the DWARF line tables of Symbols:
//   step   stepi until the line changes, into calls that have line info;
//   next   the same, stepping over calls (run to the return address until
//          the stack pointer is back where it was before the call);
//   finish run to the caller's return address with the frame check (the
//          caller's stack pointer, from the unwinder);
// and the reverse versions through the timeline's reverse stepping. A line
// is left at the first instruction of another line, as gdb does.
#pragma once

#include "console/context.h"
#include "debugger/debugger_session.h"

namespace rwd::console {

// Each returns the stop to print; a stop other than a plain step (a
// breakpoint, watchpoint, signal, exit, interrupt, error) ends it early.
debugger::Stop StepLine(Context& cx, bool over_calls);
debugger::Stop Finish(Context& cx);
// Finish without a word: out to the caller of the current frame.
debugger::Stop ReturnToCaller(Context& cx);
debugger::Stop ReverseStepLine(Context& cx, bool over_calls);
debugger::Stop ReverseFinish(Context& cx);

}  // namespace rwd::console
