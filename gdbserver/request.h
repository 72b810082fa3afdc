// Layer 2 of the gdb remote protocol: typed requests.
//
// One struct per packet the server understands; the parser (request_parser.h)
// turns packet text into a Request and the session (session.h) handles each
// alternative in one overload, so the compiler points out a packet that has
// a parser but no handler. Numbers are already decoded; signals are still in
// gdb's numbering (signals.h) because the session decides what to do with a
// signal gdb has and Linux has not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gdbserver/debug_target.h"
#include "gdbserver/thread_id.h"

namespace rwd::gdbserver {

// qSupported[:feature;feature...]: gdb's own features, e.g. "multiprocess+".
struct QuerySupported {
  std::vector<std::string> features;
};
struct StartNoAckMode {};   // QStartNoAckMode
struct QueryHaltReason {};  // ?
struct ReadRegisters {};    // g
struct ReadRegister {       // p n
  uint64_t number = 0;
};
// G, P, M, X: writes of registers and memory (they go to a copy of the
// process, debugger/process_state.h).
struct WriteState {
  char packet = 0;
  // M/X of zero bytes: gdb's probe for X support, not a write the user asked for.
  bool empty = false;
  // P n=value: the register and the value, still hex-encoded in target
  // order. G: every register's value, concatenated, in register_value.
  std::optional<uint64_t> register_number;
  std::string register_value;
  // M/X: where, and the bytes (decoded).
  uint64_t addr = 0;
  std::vector<uint8_t> bytes;
};
struct ReadMemory {  // m addr,len / x addr,len
  uint64_t addr = 0;
  uint64_t length = 0;
  bool binary = false;  // x: reply "b" + escaped bytes instead of hex
};
struct Breakpoint {  // Z/z type,addr,kind
  bool insert = true;
  // nullopt: a type this server does not know (gets the empty reply).
  std::optional<BreakpointType> type;
  uint64_t addr = 0;
  uint64_t kind = 0;
};
struct QueryVCont {};  // vCont?
struct VContAction {
  char action = 'c';               // c, C, s, S, t, r
  int gdb_signal = 0;              // C/S only
  std::optional<ThreadId> thread;  // nullopt: the default action
  uint64_t range_start = 0;        // r only
  uint64_t range_end = 0;
};
struct VCont {  // vCont;action[:thread]...
  std::vector<VContAction> actions;
};
struct LegacyResume {  // c [addr], s [addr], C sig[;addr], S sig[;addr]
  ResumeKind kind = ResumeKind::kContinue;
  int gdb_signal = 0;
  std::optional<uint64_t> addr;
};
struct ReverseResume {  // bc, bs
  ResumeKind kind = ResumeKind::kContinue;
};
struct XferRead {  // qXfer:object:read:annex:offset,length
  std::string object;
  std::string annex;
  uint64_t offset = 0;
  uint64_t length = 0;
};
struct ThreadListFirst {};     // qfThreadInfo
struct ThreadListNext {};      // qsThreadInfo
struct QueryCurrentThread {};  // qC
struct SetThread {             // Hg / Hc
  char operation = 'g';
  ThreadId thread;
};
struct ThreadAlive {  // T thread
  ThreadId thread;
};
struct ThreadExtraInfo {  // qThreadExtraInfo,thread
  ThreadId thread;
};
struct FileSetFs {  // vFile:setfs:pid
  int64_t pid = 0;
};
struct FileOpen {  // vFile:open:hex-path,flags,mode
  std::string path;
  uint64_t flags = 0;
  uint64_t mode = 0;
};
struct FilePread {  // vFile:pread:fd,count,offset
  int64_t fd = 0;
  uint64_t count = 0;
  uint64_t offset = 0;
};
struct FileClose {  // vFile:close:fd
  int64_t fd = 0;
};
struct FileFstat {  // vFile:fstat:fd
  int64_t fd = 0;
};
struct GetTlsAddress {  // qGetTLSAddr:thread,offset,lm
  ThreadId thread;
  uint64_t offset = 0;
  uint64_t link_map = 0;
};
// QCatchSyscalls:1[;nr...] / QCatchSyscalls:0: catch these syscalls (all
// when none is listed), or none.
struct CatchSyscalls {
  bool enable = false;
  std::vector<int64_t> numbers;
};
struct QueryAttached {};  // qAttached[:pid]
struct SymbolLookup {};   // qSymbol:... (the server needs no symbols)
struct KillProcess {};    // vKill;pid
struct ExtendedMode {};   // !
// vRun;hex-program;hex-arg...: start the program again. A replay has one
// program and its recorded arguments, so they are not kept.
struct RunProgram {};
struct Detach {};        // D[;pid]
struct Kill {};          // k
struct MonitorCommand {  // qRcmd,hex
  std::string command;
};
// Anything else: the protocol's empty reply ("not supported").
struct Unsupported {
  std::string packet;
};

using Request =
    std::variant<QuerySupported, StartNoAckMode, QueryHaltReason, ReadRegisters, ReadRegister,
                 WriteState, ReadMemory, Breakpoint, QueryVCont, VCont, LegacyResume, ReverseResume,
                 XferRead, ThreadListFirst, ThreadListNext, QueryCurrentThread, SetThread,
                 ThreadAlive, ThreadExtraInfo, FileSetFs, FileOpen, FilePread, FileClose, FileFstat,
                 GetTlsAddress, CatchSyscalls, QueryAttached, SymbolLookup, KillProcess,
                 ExtendedMode, RunProgram, Detach, Kill, MonitorCommand, Unsupported>;

}  // namespace rwd::gdbserver
