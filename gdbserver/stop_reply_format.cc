#include "gdbserver/stop_reply_format.h"

#include "gdbserver/hex.h"
#include "gdbserver/signals.h"
#include "gdbserver/thread_id.h"

namespace rwd::gdbserver {
namespace {

std::string TwoDigits(unsigned value) {
  std::string digits = HexNumber(value & 0xff);
  return digits.size() == 1 ? "0" + digits : digits;
}

std::string ProcessSuffix(const StopReplyContext& context) {
  if (!context.multiprocess) return "";
  return ";process:" + HexNumber(static_cast<uint32_t>(context.pid));
}

std::string WatchReason(BreakpointType type) {
  switch (type) {
    case BreakpointType::kRead:
      return "rwatch";
    case BreakpointType::kAccess:
      return "awatch";
    default:
      return "watch";
  }
}

}  // namespace

std::string FormatStopReply(const StopReply& stop, const StopReplyContext& context) {
  switch (stop.kind) {
    case StopReply::Kind::kExited:
      return "W" + TwoDigits(static_cast<unsigned>(stop.exit_code)) + ProcessSuffix(context);
    case StopReply::Kind::kTerminated:
      return "X" + TwoDigits(static_cast<unsigned>(LinuxToGdbSignal(stop.signo))) +
             ProcessSuffix(context);
    default:
      break;
  }
  int tid = stop.tid > 0 ? stop.tid : context.current_tid;
  int signal = stop.kind == StopReply::Kind::kSignal ? LinuxToGdbSignal(stop.signo) : 5;
  std::string reply = "T" + TwoDigits(static_cast<unsigned>(signal));
  if (tid > 0) reply += "thread:" + FormatThreadId(context.pid, tid, context.multiprocess) + ";";
  switch (stop.kind) {
    case StopReply::Kind::kHistoryBegin:
      reply += "replaylog:begin;";
      break;
    case StopReply::Kind::kHistoryEnd:
      reply += "replaylog:end;";
      break;
    default:
      if (!stop.exec_path.empty()) {
        reply += "exec:" + HexEncode(std::string_view(stop.exec_path)) + ";";
      } else if (stop.syscall_nr >= 0) {
        reply += stop.syscall == StopReply::Syscall::kEntry ? "syscall_entry:" : "syscall_return:";
        reply += HexNumber(static_cast<uint64_t>(stop.syscall_nr)) + ";";
      } else if (stop.watch_type) {
        reply += WatchReason(*stop.watch_type) + ":" + HexNumber(stop.watch_addr) + ";";
      } else if (stop.swbreak) {
        reply += "swbreak:;";
      } else if (stop.hwbreak) {
        reply += "hwbreak:;";
      }
      break;
  }
  return reply;
}

}  // namespace rwd::gdbserver
