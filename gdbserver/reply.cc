#include "gdbserver/reply.h"

#include <algorithm>

#include "gdbserver/hex.h"
#include "gdbserver/packet_codec.h"

namespace rwd::gdbserver {

std::string ErrorReply(GdbError error) {
  std::string digits = HexNumber(static_cast<uint8_t>(error));
  return "E" + std::string(2 - digits.size(), '0') + digits;
}

std::string TextErrorReply(std::string_view message) {
  std::string reply = "E.";
  for (char c : message) {
    bool framing = c == '#' || c == '$' || c == '}' || c == '*';
    bool printable = c >= 0x20 && c < 0x7f;
    reply.push_back(framing || !printable ? '?' : c);
  }
  return reply;
}

std::string XferWindow(std::string_view document, uint64_t offset, uint64_t length,
                       size_t max_chunk) {
  if (offset >= document.size()) return "l";
  uint64_t available = document.size() - offset;
  uint64_t size = std::min<uint64_t>({length, available, max_chunk});
  // An empty window would make a reader ask again forever; call it the end.
  bool last = size == available || size == 0;
  return (last ? "l" : "m") + EscapeBinary(document.substr(offset, size));
}

}  // namespace rwd::gdbserver
