#include "gdbserver/packet_codec.h"

#include "gdbserver/hex.h"

namespace rwd::gdbserver {
namespace {

constexpr char kEscape = 0x7d;  // '}'
constexpr uint8_t kEscapeXor = 0x20;
constexpr int kRunBias = 29;
// A count character is printable and at most '~'; longer runs split.
constexpr size_t kMaxRunRepeat = 126 - kRunBias;

bool NeedsEscape(char c) { return c == '#' || c == '$' || c == '}' || c == '*'; }

constexpr char kHexDigits[] = "0123456789abcdef";

}  // namespace

uint8_t Checksum(std::string_view payload) {
  uint8_t sum = 0;
  for (char c : payload) sum = static_cast<uint8_t>(sum + static_cast<uint8_t>(c));
  return sum;
}

std::string EncodePacket(std::string_view payload) {
  uint8_t sum = Checksum(payload);
  std::string out;
  out.reserve(payload.size() + 4);
  out.push_back('$');
  out.append(payload);
  out.push_back('#');
  out.push_back(kHexDigits[sum >> 4]);
  out.push_back(kHexDigits[sum & 0xf]);
  return out;
}

std::string EscapeBinary(std::string_view data) {
  std::string out;
  out.reserve(data.size() + data.size() / 16);
  for (char c : data) {
    if (NeedsEscape(c)) {
      out.push_back(kEscape);
      out.push_back(static_cast<char>(c ^ kEscapeXor));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool UnescapeBinary(std::string_view escaped, std::string* out) {
  out->clear();
  out->reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    if (escaped[i] != kEscape) {
      out->push_back(escaped[i]);
      continue;
    }
    if (++i == escaped.size()) return false;
    out->push_back(static_cast<char>(escaped[i] ^ kEscapeXor));
  }
  return true;
}

std::string RunLengthEncode(std::string_view payload) {
  std::string out;
  out.reserve(payload.size());
  size_t i = 0;
  while (i < payload.size()) {
    char c = payload[i];
    // An escape introducer must stay paired with the byte after it.
    if (c == kEscape && i + 1 < payload.size()) {
      out.push_back(c);
      out.push_back(payload[i + 1]);
      i += 2;
      continue;
    }
    size_t run = 1;
    while (i + run < payload.size() && payload[i + run] == c) ++run;
    out.push_back(c);
    size_t repeat = run - 1;  // copies after the first
    size_t done = 1;
    while (repeat >= 3) {
      size_t n = repeat < kMaxRunRepeat ? repeat : kMaxRunRepeat;
      // '#' (6) and '$' (7) would end or restart the frame in the reader.
      if (n == 6 || n == 7) n = 5;
      out.push_back('*');
      out.push_back(static_cast<char>(n + kRunBias));
      repeat -= n;
      done += n;
      if (repeat >= 3) {
        // A new run starts with a literal copy of the character.
        out.push_back(c);
        --repeat;
        ++done;
      }
    }
    out.append(run - done, c);
    i += run;
  }
  return out;
}

bool RunLengthDecode(std::string_view payload, std::string* out) {
  out->clear();
  out->reserve(payload.size());
  for (size_t i = 0; i < payload.size(); ++i) {
    char c = payload[i];
    if (c != '*') {
      out->push_back(c);
      continue;
    }
    if (out->empty() || i + 1 == payload.size()) return false;
    int count = static_cast<uint8_t>(payload[++i]) - kRunBias;
    if (count < 0) return false;
    out->append(static_cast<size_t>(count), out->back());
  }
  return true;
}

void PacketDecoder::Feed(std::string_view bytes, std::vector<CodecEvent>* events) {
  for (char c : bytes) {
    switch (state_) {
      case State::kIdle:
        if (c == '$') {
          StartFrame();
        } else if (c == '+') {
          events->push_back({CodecEvent::Kind::kAck, CodecEvent::Problem::kNone, {}});
        } else if (c == '-') {
          events->push_back({CodecEvent::Kind::kNack, CodecEvent::Problem::kNone, {}});
        } else if (c == kInterruptByte) {
          events->push_back({CodecEvent::Kind::kInterrupt, CodecEvent::Problem::kNone, {}});
        } else if (c == '%') {
          state_ = State::kNotification;
        }
        // Anything else between frames is line noise; gdb ignores it too.
        break;
      case State::kPayload:
        if (c == '#') {
          state_ = State::kChecksum1;
        } else if (c == '$') {
          // The frame in progress was cut short; start over with this one.
          events->push_back({CodecEvent::Kind::kBadPacket, CodecEvent::Problem::kTruncated,
                             too_long_ ? std::string() : payload_});
          StartFrame();
        } else {
          sum_ = static_cast<uint8_t>(sum_ + static_cast<uint8_t>(c));
          if (payload_.size() < options_.max_payload) {
            payload_.push_back(c);
          } else {
            too_long_ = true;
          }
        }
        break;
      case State::kChecksum1:
      case State::kChecksum2:
        if (c == '$') {
          // A checksum never contains '$': the frame was cut short.
          events->push_back({CodecEvent::Kind::kBadPacket, CodecEvent::Problem::kTruncated,
                             too_long_ ? std::string() : payload_});
          StartFrame();
        } else if (state_ == State::kChecksum1) {
          checksum_hi_ = c;
          state_ = State::kChecksum2;
        } else {
          checksum_lo_ = c;
          FinishFrame(events);
          state_ = State::kIdle;
        }
        break;
      case State::kNotification:
      case State::kNotificationSum:
        // '$' never appears inside a frame, so it always starts a packet;
        // this keeps a stray '%' from swallowing the next request.
        if (c == '$') {
          StartFrame();
        } else if (state_ == State::kNotification) {
          if (c == '#') {
            state_ = State::kNotificationSum;
            notification_sum_left_ = 2;
          }
        } else if (--notification_sum_left_ == 0) {
          state_ = State::kIdle;
        }
        break;
    }
  }
}

void PacketDecoder::StartFrame() {
  state_ = State::kPayload;
  payload_.clear();
  too_long_ = false;
  sum_ = 0;
}

void PacketDecoder::FinishFrame(std::vector<CodecEvent>* events) {
  CodecEvent event;
  if (too_long_) {
    event.kind = CodecEvent::Kind::kBadPacket;
    event.problem = CodecEvent::Problem::kTooLong;
    events->push_back(std::move(event));
    payload_.clear();
    return;
  }
  const char sum_text[2] = {checksum_hi_, checksum_lo_};
  std::optional<uint64_t> sent = ParseHexU64(std::string_view(sum_text, 2));
  if (!sent || *sent != sum_) {
    event.kind = CodecEvent::Kind::kBadPacket;
    event.problem = CodecEvent::Problem::kChecksum;
    event.payload = std::move(payload_);
  } else if (options_.expand_run_length) {
    if (RunLengthDecode(payload_, &event.payload)) {
      event.kind = CodecEvent::Kind::kPacket;
    } else {
      event.kind = CodecEvent::Kind::kBadPacket;
      event.problem = CodecEvent::Problem::kBadEncoding;
      event.payload = std::move(payload_);
    }
  } else {
    event.kind = CodecEvent::Kind::kPacket;
    event.payload = std::move(payload_);
  }
  payload_.clear();
  events->push_back(std::move(event));
}

}  // namespace rwd::gdbserver
