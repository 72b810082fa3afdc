// Layer 2 of the gdb remote protocol: packet text -> typed Request.
//
// One table (request_parser.cc) has a row per packet: its name, whether the
// name must match the whole packet or only start it, and the function that
// parses the arguments. Adding a packet adds a row there, a struct in
// request.h and a handler overload in session.cc.
//
// Packets nobody has a row for parse to Unsupported (the empty reply).
// Packets with a row but malformed arguments (bad hex, missing fields,
// numbers that do not fit) fail with ErrorCode::kInvalidInput; the parser
// never aborts, whatever the bytes. Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"
#include "gdbserver/request.h"

namespace rwd::gdbserver {

// `packet` is a decoded payload: framing and checksum already removed.
Expected<Request> ParseRequest(std::string_view packet);

}  // namespace rwd::gdbserver
