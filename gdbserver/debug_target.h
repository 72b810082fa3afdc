// DebugTarget: what the gdb remote server needs from the thing it debugs.
// The real implementation adapts a replay session (replayer/); tests use a
// fake. The server owns the protocol; the target owns execution and state.
//
// Threading: called from the server thread only. Resume() may run for a
// long time and polls `interrupted` regularly so Ctrl-C in gdb stops it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "arch/register_description.h"
#include "arch/registers.h"
#include "base/status.h"

namespace rwd::gdbserver {

enum class BreakpointType : uint8_t {
  kSoftware = 0,  // Z0
  kHardware = 1,  // Z1
  kWrite = 2,     // Z2
  kRead = 3,      // Z3
  kAccess = 4,    // Z4
};

enum class Direction : uint8_t { kForward, kReverse };
enum class ResumeKind : uint8_t { kStep, kContinue };

struct ResumeRequest {
  Direction direction = Direction::kForward;
  ResumeKind kind = ResumeKind::kContinue;
  int tid = -1;    // thread to step; -1 = current
  int signal = 0;  // Linux signal to deliver on resume (vCont;C/S); 0 none
};

struct StopReply {
  enum class Kind : uint8_t {
    kSignal,        // T<sig>; with swbreak/hwbreak/watch details below
    kExited,        // W<code>
    kTerminated,    // X<sig>
    kHistoryBegin,  // T05 replaylog:begin
    kHistoryEnd,    // T05 replaylog:end
  };
  Kind kind = Kind::kSignal;
  int signo = 5;  // Linux signal number; the server converts to gdb's (signals.h)
  int exit_code = 0;
  int tid = 0;
  bool swbreak = false;
  bool hwbreak = false;
  std::optional<BreakpointType> watch_type;  // kWrite/kRead/kAccess
  uint64_t watch_addr = 0;
  // A caught syscall's entry or return (QCatchSyscalls); -1 for none.
  enum class Syscall : uint8_t { kEntry, kReturn };
  Syscall syscall = Syscall::kEntry;
  int64_t syscall_nr = -1;
  // The process now runs another program, at this recorded path: an exec
  // forward, or going back before one (stop reason exec). gdb loads it.
  std::string exec_path;
  // Why the motion stopped short (it failed where the replay now stands);
  // shown in gdb's console before the stop, since a stop reply cannot say.
  std::string failure;
  // What else the user should know about the motion (e.g. changes made to
  // registers or memory were dropped); shown like `failure`.
  std::string note;
};

struct ThreadInfo {
  int tid = 0;
  std::string name;
};

class DebugTarget {
 public:
  static constexpr std::string_view kReadOnlyText =
      "replay is read-only; registers and memory cannot be changed";

  virtual ~DebugTarget() = default;

  // The one thing the server knows of the architecture: its registers as
  // gdb numbers them (Arch's other facts stay behind the target).
  virtual const arch::RegisterDescription& register_description() const = 0;
  virtual int pid() const = 0;  // the recorded pid gdb sees

  virtual std::vector<ThreadInfo> Threads() = 0;
  virtual int CurrentThread() = 0;
  virtual Status SelectThread(int tid) = 0;

  virtual Expected<arch::Registers> GetRegisters(int tid) = 0;
  // The architecture's extended state (xsave area / fpsimd), register_description().fp_regset_size bytes at most.
  virtual Expected<std::vector<uint8_t>> GetFpRegisters(int tid) = 0;
  // Reads up to len bytes; fewer at an unmapped boundary, error when none.
  // Breakpoints planted by the target are never visible.
  virtual Expected<std::vector<uint8_t>> ReadMemory(uint64_t addr, size_t len) = 0;

  // Changes to registers and memory (G, P, M, X; gdb's inferior function
  // calls and `set var`). A replay makes them in a copy of the process.
  virtual Status SetRegisters(int tid, const arch::Registers& regs) {
    (void)tid;
    (void)regs;
    return Status(ErrorCode::kUnsupported, std::string(kReadOnlyText));
  }
  virtual Status SetFpRegisters(int tid, std::span<const uint8_t> bytes) {
    (void)tid;
    (void)bytes;
    return Status(ErrorCode::kUnsupported, std::string(kReadOnlyText));
  }
  virtual Status WriteMemory(uint64_t addr, std::span<const uint8_t> bytes) {
    (void)addr;
    (void)bytes;
    return Status(ErrorCode::kUnsupported, std::string(kReadOnlyText));
  }

  virtual Status InsertBreakpoint(BreakpointType type, uint64_t addr, int len) = 0;
  virtual Status RemoveBreakpoint(BreakpointType type, uint64_t addr, int len) = 0;

  virtual StopReply Resume(const ResumeRequest& request,
                           const std::function<bool()>& interrupted) = 0;
  virtual StopReply LastStop() = 0;

  // AT_* vector of the process as the kernel gave it.
  virtual Expected<std::vector<uint8_t>> Auxv() = 0;
  virtual std::string ExecFile() = 0;
  // Host path gdb's vFile:open should read for `path` (e.g. the trace's copy
  // of a mapped file whose original changed); `path` itself when no copy.
  virtual std::string HostPathFor(const std::string& path) = 0;
  // A file gdb reads whose contents the target makes up instead of the
  // host's file at HostPathFor (e.g. /proc/PID/maps of the recorded
  // process); nullopt for the others.
  virtual std::optional<std::string> GeneratedFile(const std::string& path) {
    (void)path;
    return std::nullopt;
  }
  // qGetTLSAddr: the address of the thread-local variable at `offset` in
  // the TLS block of the module whose link_map is at `link_map`.
  virtual Expected<uint64_t> ThreadLocalAddress(int tid, uint64_t link_map, uint64_t offset) {
    (void)tid;
    (void)link_map;
    (void)offset;
    return Status(ErrorCode::kUnsupported, "this target has no thread-local storage");
  }
  // The siginfo of the signal thread `tid` stopped for, in the kernel's
  // siginfo_t layout of the architecture (qXfer:siginfo:read, gdb's $_siginfo); an
  // error when that thread did not stop for a signal.
  virtual Expected<std::vector<uint8_t>> Siginfo(int tid) {
    (void)tid;
    return Status(ErrorCode::kUnsupported, "this target keeps no siginfo");
  }

  // gdb handles exec stops (qSupported exec-events+): motions stop where
  // the process changes program (StopReply::exec_path).
  virtual void SetExecEvents(bool /*enabled*/) {}
  // QCatchSyscalls: stop at the entry and return of these syscalls (all
  // when `numbers` is empty), or of none when !enable.
  virtual Status CatchSyscalls(bool enable, const std::vector<int64_t>& numbers) {
    (void)enable;
    (void)numbers;
    return Status(ErrorCode::kUnsupported, "this target cannot catch syscalls");
  }

  // `monitor CMD`: the text to show the user. A long command polls
  // `interrupted` (Ctrl-C) as Resume does.
  virtual std::string Monitor(const std::string& command,
                              const std::function<bool()>& interrupted) = 0;

  virtual void Kill() = 0;
  // gdb's `run`: back to where the program starts, stopped; LastStop()
  // then describes that stop.
  virtual Status Restart() = 0;
};

}  // namespace rwd::gdbserver
