#include "gdbserver/session.h"

#include <algorithm>
#include <limits>

#include "gdbserver/hex.h"
#include "gdbserver/library_list.h"
#include "gdbserver/packet_codec.h"
#include "gdbserver/register_encoder.h"
#include "gdbserver/register_writer.h"
#include "gdbserver/reply.h"
#include "gdbserver/request_parser.h"
#include "gdbserver/signals.h"
#include "gdbserver/thread_id.h"

namespace rwd::gdbserver {
namespace {

using Reply = GdbSession::Reply;

Reply One(std::string payload) {
  Reply reply;
  reply.packets.push_back(std::move(payload));
  return reply;
}

Reply Ok() { return One("OK"); }

Reply Error(GdbError error) { return One(ErrorReply(error)); }

Reply TextError(const Status& status) { return One(TextErrorReply("rewind: " + status.message())); }

// Console output per O packet; gdb prints each as it arrives.
constexpr size_t kConsoleChunk = 1024;
constexpr size_t kMinPacketSize = 4096;

int ToInt(int64_t value) {
  return static_cast<int>(
      std::clamp<int64_t>(value, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
}

}  // namespace

GdbSession::GdbSession(DebugTarget& target, Options options) : target_(target), options_(options) {
  // Replies are sized from packet_size; below this nothing useful fits.
  options_.packet_size = std::max<size_t>(options_.packet_size, kMinPacketSize);
}

Reply GdbSession::Handle(std::string_view packet, const std::function<bool()>& interrupted) {
  Expected<Request> request = ParseRequest(packet);
  if (!request.ok()) return Error(GdbError::kMalformedPacket);
  interrupted_ = &interrupted;
  Reply reply = std::visit([this](const auto& r) { return Handle(r); }, *request);
  interrupted_ = nullptr;
  return reply;
}

// --- connection -------------------------------------------------------------

Reply GdbSession::Handle(const QuerySupported& request) {
  multiprocess_ = std::find(request.features.begin(), request.features.end(), "multiprocess+") !=
                  request.features.end();
  std::string features = "PacketSize=" + HexNumber(options_.packet_size) +
                         ";QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+"
                         ";ReverseStep+;ReverseContinue+"
                         ";qXfer:features:read+;qXfer:auxv:read+;qXfer:exec-file:read+"
                         ";qXfer:libraries-svr4:read+;qXfer:threads:read+;qXfer:siginfo:read+"
                         ";QCatchSyscalls+";
  if (multiprocess_) features += ";multiprocess+";
  // gdb follows an exec it is told of: it loads the new program's symbols
  // and sets its breakpoints there (stop reason exec).
  bool exec_events = std::find(request.features.begin(), request.features.end(), "exec-events+") !=
                     request.features.end();
  target_.SetExecEvents(exec_events);
  if (exec_events) features += ";exec-events+";
  return One(features);
}

Reply GdbSession::Handle(const StartNoAckMode&) {
  Reply reply = Ok();
  reply.start_no_ack = true;
  return reply;
}

Reply GdbSession::Handle(const QueryAttached&) {
  // "Attached": on quit gdb offers to detach rather than kill a process it
  // did not start.
  return One("1");
}

Reply GdbSession::Handle(const SymbolLookup&) { return Ok(); }

Reply GdbSession::Handle(const GetTlsAddress& request) {
  int tid = request.thread.IsSpecific() ? ToInt(request.thread.tid) : RegisterThread();
  Expected<uint64_t> addr = target_.ThreadLocalAddress(tid, request.link_map, request.offset);
  // gdb reports a failed qGetTLSAddr without our reason; the terminal shows it.
  if (!addr.ok()) {
    Reply reply = TextError(addr.status());
    reply.notice = "rewind: " + addr.status().message();
    return reply;
  }
  return One(HexNumber(*addr));
}

Reply GdbSession::Handle(const CatchSyscalls& request) {
  Status status = target_.CatchSyscalls(request.enable, request.numbers);
  if (status.code() == ErrorCode::kUnsupported) return One("");
  if (!status.ok()) return TextError(status);
  return Ok();
}

Reply GdbSession::Handle(const Unsupported&) { return One(""); }

Reply GdbSession::Handle(const Detach&) {
  Reply reply = Ok();
  reply.end_session = true;
  return reply;
}

Reply GdbSession::Handle(const KillProcess&) {
  target_.Kill();
  Reply reply = Ok();
  // In extended mode gdb stays connected and may `run` again.
  reply.end_session = !extended_;
  return reply;
}

Reply GdbSession::Handle(const ExtendedMode&) {
  extended_ = true;
  return Ok();
}

Reply GdbSession::Handle(const RunProgram&) {
  // gdb's `run`: the start of the recording again, never a new process.
  Status restarted = target_.Restart();
  if (!restarted.ok()) return TextError(restarted);
  return One(FormatStopReply(target_.LastStop(), StopContext()));
}

Reply GdbSession::Handle(const Kill&) {
  // k has no reply.
  target_.Kill();
  Reply reply;
  reply.end_session = true;
  return reply;
}

Reply GdbSession::Handle(const MonitorCommand& request) {
  Reply reply;
  AddConsoleOutput(target_.Monitor(request.command, Interrupted()), &reply);
  reply.packets.push_back("OK");
  return reply;
}

void GdbSession::AddConsoleOutput(std::string_view output, Reply* reply) {
  for (size_t at = 0; at < output.size(); at += kConsoleChunk) {
    reply->packets.push_back("O" + HexEncode(output.substr(at, kConsoleChunk)));
  }
}

// --- state ------------------------------------------------------------------

Reply GdbSession::Handle(const QueryHaltReason&) {
  return One(FormatStopReply(target_.LastStop(), StopContext()));
}

Reply GdbSession::Handle(const ReadRegisters&) {
  Expected<std::string> registers = EncodeAllRegisters(target_, RegisterThread());
  if (!registers.ok()) return TextError(registers.status());
  return One(std::move(*registers));
}

Reply GdbSession::Handle(const ReadRegister& request) {
  if (request.number >= target_.register_description().gdb_registers.size()) {
    return Error(GdbError::kBadRegister);
  }
  Expected<std::string> value = EncodeRegister(target_, RegisterThread(), request.number);
  if (!value.ok()) return TextError(value.status());
  return One(std::move(*value));
}

Reply GdbSession::Handle(const WriteState& request) {
  // The first write that changes something moves gdb onto a copy of the
  // process (debugger/process_state.h): inferior function calls run there.
  Status written;
  switch (request.packet) {
    case 'G':
      written = WriteAllRegisters(target_, RegisterThread(), request.register_value);
      break;
    case 'P':
      written = WriteRegister(target_, RegisterThread(), *request.register_number,
                              request.register_value);
      break;
    default:
      // An empty write is gdb's probe for X support.
      if (!request.empty) written = target_.WriteMemory(request.addr, request.bytes);
      break;
  }
  if (written.ok()) return Ok();
  Reply reply = TextError(written);
  // gdb reports a failed memory write as "Cannot access memory": say why.
  if (request.packet == 'M' || request.packet == 'X') reply.notice = "rewind: " + written.message();
  return reply;
}

Reply GdbSession::Handle(const ReadMemory& request) {
  size_t length = std::min<uint64_t>(request.length, MaxBinaryChunk());
  // Reads never wrap around the top of the address space.
  if (length > 0 && request.addr + (length - 1) < request.addr) {
    length = std::numeric_limits<uint64_t>::max() - request.addr + 1;
  }
  if (length == 0) return One(request.binary ? "b" : "");
  Expected<std::vector<uint8_t>> bytes = target_.ReadMemory(request.addr, length);
  if (!bytes.ok() || bytes->empty()) return Error(GdbError::kMemoryUnreadable);
  if (bytes->size() > length) bytes->resize(length);
  if (!request.binary) return One(HexEncode(*bytes));
  return One("b" + EscapeBinary(std::string_view(reinterpret_cast<const char*>(bytes->data()),
                                                 bytes->size())));
}

Reply GdbSession::Handle(const Breakpoint& request) {
  if (!request.type) return One("");  // a kind of breakpoint we do not offer
  int kind = ToInt(static_cast<int64_t>(std::min<uint64_t>(request.kind, INT32_MAX)));
  Status status = request.insert ? target_.InsertBreakpoint(*request.type, request.addr, kind)
                                 : target_.RemoveBreakpoint(*request.type, request.addr, kind);
  if (!status.ok()) return TextError(status);
  return Ok();
}

// --- execution --------------------------------------------------------------

Reply GdbSession::Handle(const QueryVCont&) { return One("vCont;c;C;s;S"); }

Reply GdbSession::Handle(const VCont& request) {
  // All-stop: one thread moves as the action names it and the others follow
  // the default action. The action for a particular thread wins, because
  // that is how gdb asks to step one thread ("vCont;s:p1.2;c").
  const VContAction* chosen = nullptr;
  for (const VContAction& action : request.actions) {
    if (action.thread && action.thread->IsSpecific()) {
      chosen = &action;
      break;
    }
  }
  if (chosen == nullptr) chosen = &request.actions.front();
  ResumeRequest resume;
  switch (chosen->action) {
    case 'c':
    case 'C':
      resume.kind = ResumeKind::kContinue;
      break;
    case 's':
    case 'S':
      resume.kind = ResumeKind::kStep;
      break;
    default:
      return One(TextErrorReply(std::string("rewind: vCont action '") + chosen->action +
                                "' is not supported"));
  }
  if (chosen->action == 'C' || chosen->action == 'S') {
    std::optional<int> signal = GdbToLinuxSignal(chosen->gdb_signal);
    if (!signal) return One(TextErrorReply("rewind: signal has no Linux equivalent"));
    resume.signal = *signal;
  }
  if (chosen->thread && chosen->thread->IsSpecific()) resume.tid = ToInt(chosen->thread->tid);
  return Resume(resume);
}

Reply GdbSession::Handle(const LegacyResume& request) {
  if (request.addr) {
    return One(TextErrorReply("rewind: replay cannot resume at a different address"));
  }
  ResumeRequest resume;
  resume.kind = request.kind;
  if (request.gdb_signal != 0) {
    std::optional<int> signal = GdbToLinuxSignal(request.gdb_signal);
    if (!signal) return One(TextErrorReply("rewind: signal has no Linux equivalent"));
    resume.signal = *signal;
  }
  if (continue_thread_ > 0) resume.tid = continue_thread_;
  return Resume(resume);
}

Reply GdbSession::Handle(const ReverseResume& request) {
  ResumeRequest resume;
  resume.direction = Direction::kReverse;
  resume.kind = request.kind;
  if (continue_thread_ > 0) resume.tid = continue_thread_;
  return Resume(resume);
}

const std::function<bool()>& GdbSession::Interrupted() const {
  static const std::function<bool()> kNever = [] { return false; };
  return interrupted_ ? *interrupted_ : kNever;
}

Reply GdbSession::Resume(const ResumeRequest& request) {
  StopReply stop = target_.Resume(request, Interrupted());
  // gdb selects the thread that stopped; a stale Hg choice would make the
  // next g read the wrong thread.
  general_thread_ = 0;
  Reply reply;
  // O packets are allowed while the target runs; gdb (and an IDE, as
  // target output) shows them, where our stderr may be hidden.
  if (!stop.note.empty()) AddConsoleOutput("rewind: " + stop.note, &reply);
  if (!stop.failure.empty()) AddConsoleOutput("rewind: " + stop.failure + "\n", &reply);
  reply.packets.push_back(FormatStopReply(stop, StopContext()));
  return reply;
}

// --- threads ----------------------------------------------------------------

Reply GdbSession::Handle(const ThreadListFirst&) {
  std::string list;
  for (const ThreadInfo& thread : target_.Threads()) {
    list += (list.empty() ? "m" : ",") + FormatThreadId(target_.pid(), thread.tid, multiprocess_);
  }
  return One(list.empty() ? "l" : list);
}

Reply GdbSession::Handle(const ThreadListNext&) { return One("l"); }

Reply GdbSession::Handle(const QueryCurrentThread&) {
  return One("QC" + FormatThreadId(target_.pid(), target_.CurrentThread(), multiprocess_));
}

Reply GdbSession::Handle(const SetThread& request) {
  int tid = request.thread.IsSpecific() ? ToInt(request.thread.tid) : 0;
  if (tid != 0 && !ThreadExists(tid)) return Error(GdbError::kNoSuchThread);
  if (request.operation == 'c') {
    continue_thread_ = tid;
    return Ok();
  }
  if (tid != 0) {
    Status status = target_.SelectThread(tid);
    if (!status.ok()) return TextError(status);
  }
  general_thread_ = tid;
  return Ok();
}

Reply GdbSession::Handle(const ThreadAlive& request) {
  if (!request.thread.IsSpecific() || !ThreadExists(ToInt(request.thread.tid))) {
    return Error(GdbError::kNoSuchThread);
  }
  return Ok();
}

Reply GdbSession::Handle(const ThreadExtraInfo& request) {
  for (const ThreadInfo& thread : target_.Threads()) {
    if (thread.tid == request.thread.tid) return One(HexEncode(thread.name));
  }
  return Error(GdbError::kNoSuchThread);
}

int GdbSession::RegisterThread() {
  if (general_thread_ > 0) return general_thread_;
  return target_.CurrentThread();
}

bool GdbSession::ThreadExists(int tid) {
  for (const ThreadInfo& thread : target_.Threads()) {
    if (thread.tid == tid) return true;
  }
  return false;
}

std::string GdbSession::ThreadsXml() {
  std::string xml = "<?xml version=\"1.0\"?>\n<threads>\n";
  for (const ThreadInfo& thread : target_.Threads()) {
    xml += "<thread id=\"" + FormatThreadId(target_.pid(), thread.tid, multiprocess_) + "\"";
    if (!thread.name.empty()) xml += " name=\"" + XmlEscape(thread.name) + "\"";
    xml += "/>\n";
  }
  return xml + "</threads>\n";
}

StopReplyContext GdbSession::StopContext() {
  return StopReplyContext{target_.pid(), target_.CurrentThread(), multiprocess_};
}

// --- qXfer ------------------------------------------------------------------

Reply GdbSession::Handle(const XferRead& request) {
  std::string document;
  if (request.object == "features") {
    if (request.annex != "target.xml") return Error(GdbError::kNotFound);
    document = std::string(target_.register_description().target_xml);
  } else if (request.object == "auxv") {
    Expected<std::vector<uint8_t>> auxv = target_.Auxv();
    if (!auxv.ok()) return TextError(auxv.status());
    document.assign(auxv->begin(), auxv->end());
  } else if (request.object == "exec-file") {
    document = target_.ExecFile();
    if (document.empty()) return Error(GdbError::kNotFound);
  } else if (request.object == "libraries-svr4") {
    Expected<std::string> list = BuildLibraryListSvr4(target_);
    if (!list.ok()) return TextError(list.status());
    document = std::move(*list);
  } else if (request.object == "threads") {
    document = ThreadsXml();
  } else if (request.object == "siginfo") {
    Expected<std::vector<uint8_t>> siginfo = target_.Siginfo(RegisterThread());
    if (!siginfo.ok()) return TextError(siginfo.status());
    document.assign(siginfo->begin(), siginfo->end());
  } else {
    return One("");
  }
  return One(XferWindow(document, request.offset, request.length, MaxBinaryChunk()));
}

// --- vFile ------------------------------------------------------------------

Reply GdbSession::Handle(const FileSetFs&) {
  // One filesystem: the recording's, reached through HostPathFor.
  return One("F0");
}

Reply GdbSession::Handle(const FileOpen& request) {
  if (std::optional<std::string> contents = target_.GeneratedFile(request.path)) {
    return One(files_.OpenContents(*contents, request.flags));
  }
  return One(files_.Open(target_.HostPathFor(request.path), request.flags));
}

Reply GdbSession::Handle(const FilePread& request) {
  return One(files_.Pread(request.fd, request.count, request.offset, MaxBinaryChunk()));
}

Reply GdbSession::Handle(const FileClose& request) { return One(files_.Close(request.fd)); }

Reply GdbSession::Handle(const FileFstat& request) { return One(files_.Fstat(request.fd)); }

}  // namespace rwd::gdbserver
