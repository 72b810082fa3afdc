// The time-travel commands both front ends offer with the same words and
// the same output: gdb as `monitor when`, the console as `when`.
//
//   when                 current event number (of how many) and pc
//   checkpoint [NAME]    save this point; prints its id
//   checkpoints          list checkpoints (automatic, the user's, and those
//                        the program named when recorded: rewind_checkpoint)
//   restart ID|NAME      return to a checkpoint
//   goto EVENT           go to the point where EVENT events have been replayed
//   stats                checkpoint and restore counts, watchpoint mode
#pragma once

#include <optional>
#include <string>

#include "debugger/debugger_session.h"

namespace rwd::debugger {

// "Current event: 12 (of 40), pc 0x401136\n"
std::string DescribeWhen(const WhenInfo& when);

// Runs `verb` with its argument (the rest of the line, trimmed) and returns
// the text to show; nullopt when `verb` is none of these commands. Usage
// messages start with `usage_prefix` (gdb's "monitor "). A long goto polls
// `interrupted` (Ctrl-C) and stops where it got to.
std::optional<std::string> RunTimeTravelCommand(DebuggerSession& session, const std::string& verb,
                                                const std::string& arg,
                                                const std::string& usage_prefix,
                                                const std::function<bool()>& interrupted);

}  // namespace rwd::debugger
