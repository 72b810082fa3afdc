// Position: a point in a replay's timeline, named without hardware counters.
//
// Between two events a thread executes deterministically, so "the first time
// after `event` events that the thread is about to execute `pc` with exactly
// these registers" names one point, reachable again by re-executing from a
// checkpoint with a breakpoint at pc (DESIGN.md, "Positions"). The hash of
// the stack around sp is part of the name: a recursive function reaches one
// instruction with identical registers from different callers. Limit: a
// loop that revisits pc with identical registers and stack while only other
// memory changes would be matched at its first visit.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "arch/registers.h"

namespace rwd::replayer {

struct Position {
  uint64_t event = 0;     // events replayed before this point
  pid_t tid = 0;          // the thread that runs (recorded tid)
  bool boundary = false;  // exactly where an event's replay left the thread
  // At the entry of a caught syscall (ReplayStop::kSyscallEntry), which a
  // breakpoint cannot reach: the pc is already past the instruction.
  bool syscall_entry = false;
  // At the return of a caught buffered syscall (ReplayStop::kSyscallReturn),
  // a point only runs that catch syscalls pass through.
  bool buffered_return = false;
  // Inside rewind's own code (replayer/library_code.h), where a thread is
  // only at an event's boundary or a stop inside it: never a step's answer.
  // Not part of the state: the registers already tell.
  bool in_library = false;
  uint64_t pc = 0;
  arch::Registers regs;
  uint64_t stack_hash = 0;  // StackWindowHash (core/stack_hash.h)
  // The program the process runs there (its recorded path; empty where the
  // execution does not say). A trap at `pc` is planted only in that
  // program: re-executing from before an exec, the same address in the
  // old program is other code. Not part of the state: the event number
  // already tells programs apart.
  std::string program;

  bool SameState(const Position& o) const {
    return event == o.event && tid == o.tid && syscall_entry == o.syscall_entry &&
           buffered_return == o.buffered_return && pc == o.pc && regs == o.regs &&
           stack_hash == o.stack_hash;
  }
};

}  // namespace rwd::replayer
