#include "gdbserver/request_parser.h"

#include <span>
#include <utility>

#include "gdbserver/hex.h"
#include "gdbserver/packet_codec.h"

namespace rwd::gdbserver {
namespace {

using ParseFn = Expected<Request> (*)(std::string_view args);

enum class Match : uint8_t {
  kExact,   // the packet is exactly the name
  kPrefix,  // the packet starts with the name; the rest is the arguments
};

struct PacketRow {
  std::string_view name;
  Match match;
  ParseFn parse;
};

Status Malformed(std::string_view what, std::string_view args) {
  std::string shown(args.substr(0, 64));
  return Status(ErrorCode::kInvalidInput,
                "malformed " + std::string(what) + " packet arguments '" + shown + "'");
}

// Splits "a,b" at the first `separator`; nullopt when it is missing.
std::optional<std::pair<std::string_view, std::string_view>> SplitOnce(std::string_view text,
                                                                       char separator) {
  size_t at = text.find(separator);
  if (at == std::string_view::npos) return std::nullopt;
  return std::make_pair(text.substr(0, at), text.substr(at + 1));
}

// "addr,length" as used by m, x, qXfer windows.
std::optional<std::pair<uint64_t, uint64_t>> ParseAddrLength(std::string_view text) {
  auto parts = SplitOnce(text, ',');
  if (!parts) return std::nullopt;
  std::optional<uint64_t> addr = ParseHexU64(parts->first);
  std::optional<uint64_t> length = ParseHexU64(parts->second);
  if (!addr || !length) return std::nullopt;
  return std::make_pair(*addr, *length);
}

template <typename T>
Expected<Request> NoArguments(std::string_view) {
  return Request(T{});
}

Expected<Request> ParseQuerySupported(std::string_view args) {
  QuerySupported request;
  if (args.empty()) return Request(request);
  if (args.front() != ':') return Malformed("qSupported", args);
  args.remove_prefix(1);
  while (!args.empty()) {
    size_t end = args.find(';');
    request.features.emplace_back(args.substr(0, end));
    if (end == std::string_view::npos) break;
    args.remove_prefix(end + 1);
  }
  return Request(std::move(request));
}

template <char kPacket>
Expected<Request> ParseWriteState(std::string_view args) {
  WriteState request;
  request.packet = kPacket;
  const char name[2] = {kPacket, 0};
  if (kPacket == 'M' || kPacket == 'X') {
    // addr,length:data
    size_t colon = args.find(':');
    if (colon == std::string_view::npos) return Malformed(name, args);
    auto range = ParseAddrLength(args.substr(0, colon));
    if (!range) return Malformed(name, args);
    request.addr = range->first;
    request.empty = range->second == 0;
    std::string_view data = args.substr(colon + 1);
    std::string raw;
    if (kPacket == 'M') {
      std::optional<std::string> decoded = HexDecode(data);
      if (!decoded) return Malformed(name, args);
      raw = std::move(*decoded);
    } else if (!UnescapeBinary(data, &raw)) {
      return Malformed(name, args);
    }
    if (raw.size() != range->second) return Malformed(name, args);
    request.bytes.assign(raw.begin(), raw.end());
  }
  if (kPacket == 'P') {
    auto parts = SplitOnce(args, '=');
    if (!parts) return Malformed(name, args);
    request.register_number = ParseHexU64(parts->first);
    if (!request.register_number) return Malformed(name, args);
    request.register_value = std::string(parts->second);
  }
  if (kPacket == 'G') request.register_value = std::string(args);
  return Request(request);
}

Expected<Request> ParseReadRegister(std::string_view args) {
  std::optional<uint64_t> number = ParseHexU64(args);
  if (!number) return Malformed("p", args);
  return Request(ReadRegister{*number});
}

template <bool kBinary>
Expected<Request> ParseReadMemory(std::string_view args) {
  auto range = ParseAddrLength(args);
  if (!range) return Malformed(kBinary ? "x" : "m", args);
  return Request(ReadMemory{range->first, range->second, kBinary});
}

template <bool kInsert>
Expected<Request> ParseBreakpoint(std::string_view args) {
  // Conditions and commands (";X...") follow the kind; the server does not
  // advertise them, so they are ignored if a peer sends them anyway.
  args = args.substr(0, args.find(';'));
  auto type_rest = SplitOnce(args, ',');
  if (!type_rest) return Malformed("Z/z", args);
  auto addr_kind = SplitOnce(type_rest->second, ',');
  if (!addr_kind) return Malformed("Z/z", args);
  std::optional<uint64_t> type = ParseHexU64(type_rest->first);
  std::optional<uint64_t> addr = ParseHexU64(addr_kind->first);
  std::optional<uint64_t> kind = ParseHexU64(addr_kind->second);
  if (!type || !addr || !kind) return Malformed("Z/z", args);
  Breakpoint request;
  request.insert = kInsert;
  if (*type <= static_cast<uint64_t>(BreakpointType::kAccess)) {
    request.type = static_cast<BreakpointType>(*type);
  }
  request.addr = *addr;
  request.kind = *kind;
  return Request(request);
}

std::optional<int> ParseSignal(std::string_view text) {
  std::optional<uint64_t> signal = ParseHexU64(text);
  if (!signal || *signal > 0xff) return std::nullopt;
  return static_cast<int>(*signal);
}

std::optional<VContAction> ParseVContAction(std::string_view text) {
  if (text.empty()) return std::nullopt;
  VContAction action;
  action.action = text.front();
  text.remove_prefix(1);
  std::string_view thread_text;
  size_t colon = text.find(':');
  if (colon != std::string_view::npos) {
    thread_text = text.substr(colon + 1);
    text = text.substr(0, colon);
    std::optional<ThreadId> thread = ParseThreadId(thread_text);
    if (!thread) return std::nullopt;
    action.thread = *thread;
  }
  switch (action.action) {
    case 'c':
    case 's':
    case 't':
      if (!text.empty()) return std::nullopt;
      break;
    case 'C':
    case 'S': {
      std::optional<int> signal = ParseSignal(text);
      if (!signal) return std::nullopt;
      action.gdb_signal = *signal;
      break;
    }
    case 'r': {
      auto range = ParseAddrLength(text);
      if (!range) return std::nullopt;
      action.range_start = range->first;
      action.range_end = range->second;
      break;
    }
    default:
      return std::nullopt;
  }
  return action;
}

Expected<Request> ParseVCont(std::string_view args) {
  VCont request;
  while (true) {
    size_t end = args.find(';');
    std::optional<VContAction> action = ParseVContAction(args.substr(0, end));
    if (!action) return Malformed("vCont", args);
    request.actions.push_back(*action);
    if (end == std::string_view::npos) break;
    args.remove_prefix(end + 1);
  }
  return Request(std::move(request));
}

template <ResumeKind kKind, bool kWithSignal>
Expected<Request> ParseLegacyResume(std::string_view args) {
  LegacyResume request;
  request.kind = kKind;
  if (kWithSignal) {
    auto parts = SplitOnce(args, ';');
    std::optional<int> signal = ParseSignal(parts ? parts->first : args);
    if (!signal) return Malformed("C/S", args);
    request.gdb_signal = *signal;
    args = parts ? parts->second : std::string_view();
    if (parts && args.empty()) return Malformed("C/S", args);
  }
  if (!args.empty()) {
    std::optional<uint64_t> addr = ParseHexU64(args);
    if (!addr) return Malformed("c/s", args);
    request.addr = *addr;
  }
  return Request(request);
}

template <ResumeKind kKind>
Expected<Request> ParseReverseResume(std::string_view) {
  return Request(ReverseResume{kKind});
}

Expected<Request> ParseXfer(std::string_view args) {
  auto object_rest = SplitOnce(args, ':');
  if (!object_rest) return Malformed("qXfer", args);
  auto operation_rest = SplitOnce(object_rest->second, ':');
  if (!operation_rest) return Malformed("qXfer", args);
  // Only reads are offered; a write (or anything new) is "not supported".
  if (operation_rest->first != "read") return Request(Unsupported{"qXfer:" + std::string(args)});
  std::string_view rest = operation_rest->second;
  size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos) return Malformed("qXfer", args);
  auto window = ParseAddrLength(rest.substr(colon + 1));
  if (!window) return Malformed("qXfer", args);
  XferRead request;
  request.object = std::string(object_rest->first);
  request.annex = std::string(rest.substr(0, colon));
  request.offset = window->first;
  request.length = window->second;
  return Request(std::move(request));
}

Expected<Request> ParseSetThread(std::string_view args) {
  if (args.empty() || (args.front() != 'g' && args.front() != 'c')) {
    return Malformed("H", args);
  }
  std::optional<ThreadId> thread = ParseThreadId(args.substr(1));
  if (!thread) return Malformed("H", args);
  return Request(SetThread{args.front(), *thread});
}

Expected<Request> ParseThreadAlive(std::string_view args) {
  std::optional<ThreadId> thread = ParseThreadId(args);
  if (!thread) return Malformed("T", args);
  return Request(ThreadAlive{*thread});
}

Expected<Request> ParseThreadExtraInfo(std::string_view args) {
  std::optional<ThreadId> thread = ParseThreadId(args);
  if (!thread) return Malformed("qThreadExtraInfo", args);
  return Request(ThreadExtraInfo{*thread});
}

std::optional<int64_t> ParseFd(std::string_view text) {
  std::optional<int64_t> fd = ParseHexI64(text);
  if (!fd || *fd < 0 || *fd > INT32_MAX) return std::nullopt;
  return fd;
}

Expected<Request> ParseFile(std::string_view args) {
  auto operation_rest = SplitOnce(args, ':');
  if (!operation_rest) return Request(Unsupported{"vFile:" + std::string(args)});
  auto [operation, rest] = *operation_rest;
  if (operation == "setfs") {
    std::optional<int64_t> pid = ParseHexI64(rest);
    if (!pid) return Malformed("vFile:setfs", rest);
    return Request(FileSetFs{*pid});
  }
  if (operation == "open") {
    auto path_rest = SplitOnce(rest, ',');
    auto flags_mode = path_rest ? SplitOnce(path_rest->second, ',') : std::nullopt;
    if (!flags_mode) return Malformed("vFile:open", rest);
    std::optional<std::string> path = HexDecode(path_rest->first);
    std::optional<uint64_t> flags = ParseHexU64(flags_mode->first);
    std::optional<uint64_t> mode = ParseHexU64(flags_mode->second);
    if (!path || path->empty() || !flags || !mode) return Malformed("vFile:open", rest);
    return Request(FileOpen{std::move(*path), *flags, *mode});
  }
  if (operation == "pread") {
    auto fd_rest = SplitOnce(rest, ',');
    auto count_offset = fd_rest ? SplitOnce(fd_rest->second, ',') : std::nullopt;
    if (!count_offset) return Malformed("vFile:pread", rest);
    std::optional<int64_t> fd = ParseFd(fd_rest->first);
    std::optional<uint64_t> count = ParseHexU64(count_offset->first);
    std::optional<uint64_t> offset = ParseHexU64(count_offset->second);
    if (!fd || !count || !offset) return Malformed("vFile:pread", rest);
    return Request(FilePread{*fd, *count, *offset});
  }
  if (operation == "close" || operation == "fstat") {
    std::optional<int64_t> fd = ParseFd(rest);
    if (!fd) return Malformed("vFile", rest);
    if (operation == "close") return Request(FileClose{*fd});
    return Request(FileFstat{*fd});
  }
  return Request(Unsupported{"vFile:" + std::string(args)});
}

Expected<Request> ParseGetTlsAddress(std::string_view args) {
  size_t first = args.find(',');
  size_t second = first == std::string_view::npos ? first : args.find(',', first + 1);
  if (second == std::string_view::npos) return Malformed("qGetTLSAddr", args);
  std::optional<ThreadId> thread = ParseThreadId(args.substr(0, first));
  std::optional<uint64_t> offset = ParseHexU64(args.substr(first + 1, second - first - 1));
  std::optional<uint64_t> link_map = ParseHexU64(args.substr(second + 1));
  if (!thread || !offset || !link_map) return Malformed("qGetTLSAddr", args);
  return Request(GetTlsAddress{*thread, *offset, *link_map});
}

Expected<Request> ParseCatchSyscalls(std::string_view args) {
  CatchSyscalls request;
  if (args == "0") return Request(request);
  if (!args.starts_with("1")) return Malformed("QCatchSyscalls", args);
  request.enable = true;
  std::string_view rest = args.substr(1);
  while (!rest.empty()) {
    if (rest.front() != ';') return Malformed("QCatchSyscalls", args);
    rest.remove_prefix(1);
    size_t end = rest.find(';');
    std::optional<uint64_t> nr = ParseHexU64(rest.substr(0, end));
    if (!nr) return Malformed("QCatchSyscalls", args);
    request.numbers.push_back(static_cast<int64_t>(*nr));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  return Request(std::move(request));
}

Expected<Request> ParseMonitor(std::string_view args) {
  std::optional<std::string> command = HexDecode(args);
  if (!command) return Malformed("qRcmd", args);
  return Request(MonitorCommand{std::move(*command)});
}

// Rows are tried in order and the first match wins: a name that another
// name starts with (qC / qCRC) is exact, never a prefix.
constexpr PacketRow kPacketTable[] = {
    {"qSupported", Match::kPrefix, ParseQuerySupported},
    {"QStartNoAckMode", Match::kExact, NoArguments<StartNoAckMode>},
    {"?", Match::kExact, NoArguments<QueryHaltReason>},
    {"g", Match::kExact, NoArguments<ReadRegisters>},
    {"G", Match::kPrefix, ParseWriteState<'G'>},
    {"p", Match::kPrefix, ParseReadRegister},
    {"P", Match::kPrefix, ParseWriteState<'P'>},
    {"m", Match::kPrefix, ParseReadMemory<false>},
    {"x", Match::kPrefix, ParseReadMemory<true>},
    {"M", Match::kPrefix, ParseWriteState<'M'>},
    {"X", Match::kPrefix, ParseWriteState<'X'>},
    {"Z", Match::kPrefix, ParseBreakpoint<true>},
    {"z", Match::kPrefix, ParseBreakpoint<false>},
    {"vCont?", Match::kExact, NoArguments<QueryVCont>},
    {"vCont;", Match::kPrefix, ParseVCont},
    {"c", Match::kPrefix, ParseLegacyResume<ResumeKind::kContinue, false>},
    {"s", Match::kPrefix, ParseLegacyResume<ResumeKind::kStep, false>},
    {"C", Match::kPrefix, ParseLegacyResume<ResumeKind::kContinue, true>},
    {"S", Match::kPrefix, ParseLegacyResume<ResumeKind::kStep, true>},
    {"bc", Match::kExact, ParseReverseResume<ResumeKind::kContinue>},
    {"bs", Match::kExact, ParseReverseResume<ResumeKind::kStep>},
    {"qXfer:", Match::kPrefix, ParseXfer},
    {"qfThreadInfo", Match::kExact, NoArguments<ThreadListFirst>},
    {"qsThreadInfo", Match::kExact, NoArguments<ThreadListNext>},
    {"qC", Match::kExact, NoArguments<QueryCurrentThread>},
    {"H", Match::kPrefix, ParseSetThread},
    {"T", Match::kPrefix, ParseThreadAlive},
    {"qThreadExtraInfo,", Match::kPrefix, ParseThreadExtraInfo},
    {"vFile:", Match::kPrefix, ParseFile},
    {"qGetTLSAddr:", Match::kPrefix, ParseGetTlsAddress},
    {"QCatchSyscalls:", Match::kPrefix, ParseCatchSyscalls},
    {"qAttached", Match::kPrefix, NoArguments<QueryAttached>},
    {"qSymbol:", Match::kPrefix, NoArguments<SymbolLookup>},
    {"vKill", Match::kPrefix, NoArguments<KillProcess>},
    {"!", Match::kExact, NoArguments<ExtendedMode>},
    {"vRun;", Match::kPrefix, NoArguments<RunProgram>},
    {"D", Match::kPrefix, NoArguments<Detach>},
    {"k", Match::kExact, NoArguments<Kill>},
    {"qRcmd,", Match::kPrefix, ParseMonitor},
};

}  // namespace

Expected<Request> ParseRequest(std::string_view packet) {
  for (const PacketRow& row : kPacketTable) {
    bool matches = row.match == Match::kExact ? packet == row.name : packet.starts_with(row.name);
    if (matches) return row.parse(packet.substr(row.name.size()));
  }
  return Request(Unsupported{std::string(packet)});
}

}  // namespace rwd::gdbserver
