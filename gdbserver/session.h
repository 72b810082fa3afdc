// Layer 3 of the gdb remote protocol: GdbSession, the state of one gdb
// connection and the handler for every request.
//
// Handle() takes a decoded packet (layer 1 did the framing), parses it
// (layer 2, request_parser.h) and runs the one handler overload for the
// request type. It returns the payloads to send, still unframed, so the
// session knows nothing of acks or file descriptors and tests can drive it
// directly with a fake DebugTarget.
//
// G, P, M and X write to the target, which a replay turns into a copy of
// the process (debugger/process_state.h); a write the target refuses gets
// a textual error and the session stays usable. Unknown packets get the empty reply. No input, however
// malformed, makes Handle() abort: bad arguments become an error reply.
//
// Borrows the target, which must outlive the session. Single-threaded.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "gdbserver/debug_target.h"
#include "gdbserver/host_files.h"
#include "gdbserver/request.h"
#include "gdbserver/stop_reply_format.h"

namespace rwd::gdbserver {

class GdbSession {
 public:
  struct Options {
    // Largest packet payload gdb may send us or we send it (PacketSize).
    size_t packet_size = 0x20000;
  };

  struct Reply {
    // Payloads to frame and send, in order; empty when nothing is sent
    // (k). A single empty string is the protocol's "not supported" reply.
    std::vector<std::string> packets;
    bool end_session = false;   // D, k, vKill (not in extended mode)
    bool start_no_ack = false;  // QStartNoAckMode: acks stop after this reply
    // For the user's terminal: a refusal gdb reports without our reason
    // (a refused memory write becomes "Cannot access memory at address").
    std::string notice;
  };

  explicit GdbSession(DebugTarget& target) : GdbSession(target, Options{}) {}
  GdbSession(DebugTarget& target, Options options);

  // `interrupted` is handed to DebugTarget::Resume for resume requests: it
  // must return true once gdb has sent the interrupt byte.
  Reply Handle(std::string_view packet, const std::function<bool()>& interrupted);

  bool multiprocess() const { return multiprocess_; }

 private:
  Reply Handle(const QuerySupported& request);
  Reply Handle(const StartNoAckMode& request);
  Reply Handle(const QueryHaltReason& request);
  Reply Handle(const ReadRegisters& request);
  Reply Handle(const ReadRegister& request);
  Reply Handle(const WriteState& request);
  Reply Handle(const ReadMemory& request);
  Reply Handle(const Breakpoint& request);
  Reply Handle(const QueryVCont& request);
  Reply Handle(const VCont& request);
  Reply Handle(const LegacyResume& request);
  Reply Handle(const ReverseResume& request);
  Reply Handle(const XferRead& request);
  Reply Handle(const ThreadListFirst& request);
  Reply Handle(const ThreadListNext& request);
  Reply Handle(const QueryCurrentThread& request);
  Reply Handle(const SetThread& request);
  Reply Handle(const ThreadAlive& request);
  Reply Handle(const ThreadExtraInfo& request);
  Reply Handle(const FileSetFs& request);
  Reply Handle(const FileOpen& request);
  Reply Handle(const FilePread& request);
  Reply Handle(const FileClose& request);
  Reply Handle(const FileFstat& request);
  Reply Handle(const GetTlsAddress& request);
  Reply Handle(const CatchSyscalls& request);
  Reply Handle(const QueryAttached& request);
  Reply Handle(const SymbolLookup& request);
  Reply Handle(const KillProcess& request);
  Reply Handle(const ExtendedMode& request);
  Reply Handle(const RunProgram& request);
  Reply Handle(const Detach& request);
  Reply Handle(const Kill& request);
  Reply Handle(const MonitorCommand& request);
  Reply Handle(const Unsupported& request);

  Reply Resume(const ResumeRequest& request);
  // The poll for gdb's interrupt byte while the packet being handled runs.
  const std::function<bool()>& Interrupted() const;
  static void AddConsoleOutput(std::string_view output, Reply* reply);
  // The thread g and p read: the one gdb chose with Hg, else the target's.
  int RegisterThread();
  bool ThreadExists(int tid);
  std::string ThreadsXml();
  StopReplyContext StopContext();
  // Largest data that fits a reply even if every byte must be escaped.
  size_t MaxBinaryChunk() const { return (options_.packet_size - 16) / 2; }

  DebugTarget& target_;
  Options options_;
  HostFiles files_;
  bool multiprocess_ = false;
  // `target extended-remote`: the connection outlives the process (vKill,
  // its exit) and `run` starts it again (vRun).
  bool extended_ = false;
  int general_thread_ = 0;   // Hg; 0 = the target's current thread
  int continue_thread_ = 0;  // Hc, for the legacy c/s packets
  const std::function<bool()>* interrupted_ = nullptr;
};

}  // namespace rwd::gdbserver
