// Reply payloads shared by the handlers: error replies and qXfer windows.
//
// gdb reads "Enn" (two hex digits) as an error from every packet and, since
// gdb 7, "E.text" from packets it checks with packet_check_result (g, p, P,
// G, Z, qXfer, vCont...). It does not accept "E.text" where it parses the
// reply itself, notably m, so those use the numbered form. The numbers are
// ours (the protocol gives them no meaning); they are named here so tests
// and logs can tell them apart.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rwd::gdbserver {

enum class GdbError : uint8_t {
  kMemoryUnreadable = 0x01,  // m/x: not a single byte readable
  kBadRegister = 0x02,       // p: no such register number
  kRegistersUnavailable = 0x03,
  kMalformedPacket = 0x04,   // the arguments did not parse
  kNoSuchThread = 0x05,
  kTargetFailed = 0x06,      // the target refused (breakpoint, xfer, ...)
  kNotFound = 0x07,          // no such qXfer annex or file handle
};

// "E01" etc.
std::string ErrorReply(GdbError error);

// "E." + message, with the characters that have a meaning in framing
// (# $ } *) replaced so that the text survives unescaped.
std::string TextErrorReply(std::string_view message);

// The reply to qXfer:...:read for `offset,length` of `document`: "l" or "m"
// (more follows) plus the escaped bytes. `max_chunk` bounds the data so the
// escaped reply fits in a packet even if every byte needs escaping.
std::string XferWindow(std::string_view document, uint64_t offset, uint64_t length,
                       size_t max_chunk);

}  // namespace rwd::gdbserver
