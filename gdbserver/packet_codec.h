// Layer 1 of the gdb remote protocol: the byte-level codec. No I/O.
//
// Framing is `$payload#cs` where cs is the two-hex-digit sum of the payload
// bytes modulo 256. Outside a packet the peer may send `+` (ack), `-` (nack,
// "send that again"), the 0x03 interrupt byte, or a `%payload#cs`
// notification, which a stub never receives from gdb and simply skips.
//
// Binary payload bytes `#`, `$`, `}` and `*` are escaped as 0x7d followed by
// the byte xor 0x20. Replies may be run-length encoded: `X*n` repeats X a
// further n-29 times. gdb never run-length encodes what it sends (and may
// send a literal `*`), so the server's decoder keeps `*` as is; a client
// decoding replies (tests) turns expansion on.
//
// PacketDecoder is incremental: feed it whatever read() returned and it
// yields the events completed so far, keeping partial frames for the next
// call. It is a plain value with no threads; memory is bounded by
// max_payload, so garbage from a peer cannot grow it without limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rwd::gdbserver {

inline constexpr char kInterruptByte = 0x03;

uint8_t Checksum(std::string_view payload);

// "$" payload "#" checksum. `payload` must already be escaped where it
// carries binary data.
std::string EncodePacket(std::string_view payload);

// Escapes `#`, `$`, `}` and `*` so that arbitrary bytes fit in a payload.
std::string EscapeBinary(std::string_view data);
// Inverse of EscapeBinary; false when the input ends inside an escape.
bool UnescapeBinary(std::string_view escaped, std::string* out);

// Compresses runs of 4 or more equal bytes. Never produces `#` or `$` as a
// count character and never starts a run on an escape introducer.
std::string RunLengthEncode(std::string_view payload);
// Expands `X*n`; false on a `*` with nothing before it or a count below 29.
bool RunLengthDecode(std::string_view payload, std::string* out);

struct CodecEvent {
  enum class Kind : uint8_t {
    kPacket,     // a complete frame with a valid checksum
    kBadPacket,  // a frame that must be nacked: see `problem`
    kAck,        // '+'
    kNack,       // '-'
    kInterrupt,  // 0x03 between packets
  };
  enum class Problem : uint8_t {
    kNone,
    kChecksum,   // the sum did not match; payload holds the received data
    kTruncated,  // a '$' started a new frame before this one ended
    kTooLong,    // the payload exceeded max_payload and was dropped
    kBadEncoding,  // run-length expansion failed (only with expansion on)
  };

  Kind kind = Kind::kPacket;
  Problem problem = Problem::kNone;
  std::string payload;

  bool operator==(const CodecEvent&) const = default;
};

class PacketDecoder {
 public:
  struct Options {
    size_t max_payload = 0x20000;
    bool expand_run_length = false;
  };

  PacketDecoder() : PacketDecoder(Options{}) {}
  explicit PacketDecoder(Options options) : options_(options) {}

  // Appends the events completed by `bytes` to `events`.
  void Feed(std::string_view bytes, std::vector<CodecEvent>* events);
  std::vector<CodecEvent> Feed(std::string_view bytes) {
    std::vector<CodecEvent> events;
    Feed(bytes, &events);
    return events;
  }

  // True while a frame has started but not ended.
  bool InFrame() const { return state_ != State::kIdle; }

 private:
  enum class State : uint8_t {
    kIdle,
    kPayload,
    kChecksum1,
    kChecksum2,
    kNotification,     // skipping a '%' frame up to its '#'
    kNotificationSum,  // skipping its two checksum characters
  };

  void StartFrame();
  void FinishFrame(std::vector<CodecEvent>* events);

  Options options_;
  State state_ = State::kIdle;
  std::string payload_;
  bool too_long_ = false;
  uint8_t sum_ = 0;
  char checksum_hi_ = 0;
  char checksum_lo_ = 0;
  int notification_sum_left_ = 0;
};

}  // namespace rwd::gdbserver
