// Formats a DebugTarget StopReply as the stop-reply packet gdb expects:
//   T<sig>thread:<id>;[swbreak:;|hwbreak:;|watch:<addr>;|rwatch:..|awatch:..]
//   T05thread:<id>;replaylog:begin;   (or end) at the ends of the recording
//   W<code>[;process:<pid>]           exited
//   X<sig>[;process:<pid>]            killed by a signal
// Signals are converted from Linux to gdb numbering (signals.h). Pure.
#pragma once

#include <string>

#include "gdbserver/debug_target.h"

namespace rwd::gdbserver {

struct StopReplyContext {
  int pid = 0;
  int current_tid = 0;  // used when the stop names no thread
  bool multiprocess = false;
};

std::string FormatStopReply(const StopReply& stop, const StopReplyContext& context);

}  // namespace rwd::gdbserver
