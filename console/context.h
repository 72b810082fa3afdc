// Context: what every console command works with: the debugger session,
// the symbols of the replayed process, where output goes, the Ctrl-C poll,
// and the helpers commands share (reading the current thread's registers
// and memory, naming locations, printing where a motion stopped).
//
// Borrows the session. Single-threaded.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "console/symbols.h"
#include "debugger/debugger_session.h"

namespace rwd::console {

class Context {
 public:
  Context(debugger::DebuggerSession& session, FILE* out, std::function<bool()> interrupted)
      : session_(session), out_(out), interrupted_(std::move(interrupted)) {}

  debugger::DebuggerSession& session() { return session_; }
  const arch::Arch& arch() const { return session_.arch(); }
  FILE* out() { return out_; }
  const std::function<bool()>& interrupted() const { return interrupted_; }
  void Print(const std::string& text) { fputs(text.c_str(), out_); }

  // The symbols of the process as it is now: its mappings are read again
  // after each command and each run (Symbols::Refresh reads the modules
  // again only when they changed).
  const Symbols& symbols();
  void CommandDone() { symbols_stale_ = true; }
  // The selected thread (recorded tid) and its live tid, registers, pc, sp.
  int Thread() { return session_.CurrentThread().value(); }
  Expected<pid_t> LiveTid(int tid);
  Expected<arch::Registers> Registers();
  Expected<uint64_t> Pc();
  Expected<uint64_t> Sp();
  Expected<std::vector<uint8_t>> ReadMemory(uint64_t addr, size_t len);

  // The file name a module had in the recording (modules are the trace's
  // copies of the files).
  std::string ModuleName(const std::string& path);
  // "<printf+16>"-style names for addresses.
  std::string NameAddress(uint64_t addr);
  // An address from a command argument: a number (0x.. or decimal), a
  // symbol, $pc/$sp or a register name with '$'.
  Expected<uint64_t> ParseAddress(const std::string& text);
  // A register's value by gdb's name (without '$'); pc and sp as aliases.
  Expected<uint64_t> RegisterValue(const std::string& name);

  // Runs a motion and returns its stop; reports errors as a plain stop with
  // the error set (the caller prints it with PrintStop).
  const debugger::Stop& Resume(debugger::Motion motion);
  // Before a motion: the watched values, so that a watchpoint stop can say
  // what the write changed (old and new, in forward order).
  void SnapshotWatches();
  // Prints why and where the replay stopped: the reason (breakpoint N,
  // watchpoint N with its old and new value, signal, exit, end of history)
  // and the thread, function, file:line and event.
  void PrintStop(const debugger::Stop& stop, bool reverse);
  // The thread, function, file:line and event of the current point.
  void PrintWhere();

  // The text a watchpoint was set with, by id.
  std::map<int, std::string>& watch_names() { return watch_names_; }
  // The location each breakpoint was set at by name (a function or
  // FILE:LINE, not *ADDR), by id: an exec into another program sets them
  // again in it, as gdb does, instead of at the old program's addresses.
  std::map<int, std::string>& breakpoint_locations() { return breakpoint_locations_; }

  // `break write` before libc is loaded: the breakpoint's number and
  // location, until a library that defines it is loaded (as gdb's pending
  // breakpoints; the location is tried again before each motion).
  struct PendingBreakpoint {
    int id = 0;
    std::string location;
    // An indirect function no call has been bound to yet: its resolver,
    // whose next result is where the breakpoint goes.
    uint64_t resolver = 0;
  };
  std::vector<PendingBreakpoint>& pending_breakpoints() { return pending_breakpoints_; }

 private:
  // The watched bytes once the current instruction of `tid` (a write)
  // has run; the replay comes back to where it was.
  std::optional<std::vector<uint8_t>> ValueAfterWrite(const debugger::Watchpoint& w, int tid);

  debugger::DebuggerSession& session_;
  FILE* out_;
  std::function<bool()> interrupted_;
  Symbols symbols_;
  bool symbols_stale_ = true;
  std::map<int, std::string> watch_names_;
  std::map<int, std::string> breakpoint_locations_;
  std::vector<PendingBreakpoint> pending_breakpoints_;
  // Watchpoint id -> its bytes before the last motion.
  std::map<int, std::vector<uint8_t>> watch_before_;
};

// "42", "-1 (0xffffffff)" or "{0x01, 0x02, ...}" for bytes read from memory
// whose size says what they are (1, 2, 4 or 8: a little-endian integer).
std::string FormatBytes(const std::vector<uint8_t>& bytes);

}  // namespace rwd::console
