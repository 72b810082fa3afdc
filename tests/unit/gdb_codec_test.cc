// Layer 1: framing, checksums, escaping, run-length, acks, on exact bytes.
#include <gtest/gtest.h>

#include <random>

#include "gdbserver/packet_codec.h"

namespace rwd::gdbserver {
namespace {

using Kind = CodecEvent::Kind;
using Problem = CodecEvent::Problem;

CodecEvent Packet(std::string payload) { return {Kind::kPacket, Problem::kNone, payload}; }
CodecEvent Bad(Problem problem, std::string payload = "") {
  return {Kind::kBadPacket, problem, payload};
}
CodecEvent Simple(Kind kind) { return {kind, Problem::kNone, ""}; }

TEST(GdbCodec, ChecksumIsByteSumModulo256) {
  EXPECT_EQ(Checksum(""), 0);
  EXPECT_EQ(Checksum("OK"), 0x9a);
  EXPECT_EQ(Checksum("g"), 0x67);
  EXPECT_EQ(Checksum(std::string(300, '\xff')), (300 * 0xff) % 256);
}

TEST(GdbCodec, EncodesFramesWithLowerCaseChecksum) {
  EXPECT_EQ(EncodePacket("OK"), "$OK#9a");
  EXPECT_EQ(EncodePacket(""), "$#00");
  EXPECT_EQ(EncodePacket("?"), "$?#3f");
  EXPECT_EQ(EncodePacket("T05thread:101;"), "$T05thread:101;#38");
}

TEST(GdbCodec, EscapesFramingBytes) {
  EXPECT_EQ(EscapeBinary("a#b$c}d*e"), "a}\x03" "b}\x04" "c}]d}\x0a" "e");
  EXPECT_EQ(EscapeBinary(std::string("\x00\x7d", 2)), std::string("\x00}]", 3));
  std::string out;
  ASSERT_TRUE(UnescapeBinary("a}\x03" "b}\x04" "c}]d}\x0a" "e", &out));
  EXPECT_EQ(out, "a#b$c}d*e");
  EXPECT_FALSE(UnescapeBinary("abc}", &out));
}

TEST(GdbCodec, EscapeRoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  std::string escaped = EscapeBinary(all);
  EXPECT_EQ(escaped.find_first_of("#$*"), std::string::npos);
  std::string back;
  ASSERT_TRUE(UnescapeBinary(escaped, &back));
  EXPECT_EQ(back, all);
}

TEST(GdbCodec, RunLengthEncodesLikeTheManual) {
  EXPECT_EQ(RunLengthEncode("0000"), "0* ");  // the manual's example
  EXPECT_EQ(RunLengthEncode("000"), "000");   // too short to pay off
  EXPECT_EQ(RunLengthEncode("0000000000"), "0*&");
  // Six and seven repeats would be '#' and '$': split as five plus literals.
  EXPECT_EQ(RunLengthEncode(std::string(7, 'x')), "x*\"x");
  EXPECT_EQ(RunLengthEncode(std::string(8, 'x')), "x*\"xx");
  std::string decoded;
  ASSERT_TRUE(RunLengthDecode("0* ", &decoded));
  EXPECT_EQ(decoded, "0000");
  ASSERT_TRUE(RunLengthDecode("ab*\"c", &decoded));
  EXPECT_EQ(decoded, "abbbbbbc");
  EXPECT_FALSE(RunLengthDecode("*a", &decoded));
  EXPECT_FALSE(RunLengthDecode("a*", &decoded));
  EXPECT_FALSE(RunLengthDecode("a*\x10", &decoded));
}

TEST(GdbCodec, RunLengthRoundTripsRandomPayloads) {
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::string data;
    int pieces = static_cast<int>(rng() % 20);
    for (int p = 0; p < pieces; ++p) {
      char c = static_cast<char>(rng() % 256);
      data.append(rng() % 300, c);
    }
    std::string payload = EscapeBinary(data);
    std::string encoded = RunLengthEncode(payload);
    EXPECT_EQ(encoded.find_first_of("#$"), std::string::npos);
    std::string decoded;
    ASSERT_TRUE(RunLengthDecode(encoded, &decoded));
    ASSERT_EQ(decoded, payload);
    std::string back;
    ASSERT_TRUE(UnescapeBinary(decoded, &back));
    ASSERT_EQ(back, data);
  }
}

TEST(GdbCodec, DecodesPacketsAcksAndInterrupts) {
  PacketDecoder decoder;
  EXPECT_EQ(decoder.Feed("+$OK#9a-\x03$g#67"),
            (std::vector<CodecEvent>{Simple(Kind::kAck), Packet("OK"), Simple(Kind::kNack),
                                     Simple(Kind::kInterrupt), Packet("g")}));
}

TEST(GdbCodec, DecodesAcrossArbitrarySplits) {
  const std::string stream = "$qSupported:multiprocess+;swbreak+#1b$?#3f";
  PacketDecoder whole;
  std::vector<CodecEvent> expected = whole.Feed(stream);
  ASSERT_EQ(expected.size(), 2u);
  for (size_t split = 0; split <= stream.size(); ++split) {
    PacketDecoder decoder;
    std::vector<CodecEvent> events = decoder.Feed(stream.substr(0, split));
    decoder.Feed(stream.substr(split), &events);
    EXPECT_EQ(events, expected) << "split at " << split;
  }
  PacketDecoder bytewise;
  std::vector<CodecEvent> events;
  for (char c : stream) bytewise.Feed(std::string_view(&c, 1), &events);
  EXPECT_EQ(events, expected);
}

TEST(GdbCodec, AcceptsUpperCaseChecksumDigits) {
  PacketDecoder decoder;
  EXPECT_EQ(decoder.Feed("$OK#9A"), std::vector<CodecEvent>{Packet("OK")});
}

TEST(GdbCodec, ReportsBadChecksums) {
  PacketDecoder decoder;
  EXPECT_EQ(decoder.Feed("$OK#00"), std::vector<CodecEvent>{Bad(Problem::kChecksum, "OK")});
  EXPECT_EQ(decoder.Feed("$OK#zz"), std::vector<CodecEvent>{Bad(Problem::kChecksum, "OK")});
  // The decoder recovers for the next frame.
  EXPECT_EQ(decoder.Feed("$OK#9a"), std::vector<CodecEvent>{Packet("OK")});
}

TEST(GdbCodec, DollarInsideAFrameRestartsIt) {
  PacketDecoder decoder;
  EXPECT_EQ(decoder.Feed("$OK$g#67"),
            (std::vector<CodecEvent>{Bad(Problem::kTruncated, "OK"), Packet("g")}));
  EXPECT_EQ(decoder.Feed("$OK#9$g#67"),
            (std::vector<CodecEvent>{Bad(Problem::kTruncated, "OK"), Packet("g")}));
}

TEST(GdbCodec, SkipsNotificationsAndNoise) {
  PacketDecoder decoder;
  EXPECT_EQ(decoder.Feed("xyz%Stop:T05#aa$g#67\r\n"), std::vector<CodecEvent>{Packet("g")});
  // A '%' with no end does not swallow the next packet.
  EXPECT_EQ(decoder.Feed("%garbage$g#67"), std::vector<CodecEvent>{Packet("g")});
}

TEST(GdbCodec, KeepsInterruptByteInsidePayload) {
  PacketDecoder decoder;
  std::string payload = "a\x03" "b";
  EXPECT_EQ(decoder.Feed(EncodePacket(payload)), std::vector<CodecEvent>{Packet(payload)});
}

TEST(GdbCodec, DropsOverlongPayloadsButKeepsGoing) {
  PacketDecoder decoder(PacketDecoder::Options{.max_payload = 4});
  EXPECT_EQ(decoder.Feed(EncodePacket("123456") + EncodePacket("1234")),
            (std::vector<CodecEvent>{Bad(Problem::kTooLong), Packet("1234")}));
}

TEST(GdbCodec, ServerKeepsLiteralStarsClientExpandsRuns) {
  PacketDecoder server;
  EXPECT_EQ(server.Feed(EncodePacket("0* ")), std::vector<CodecEvent>{Packet("0* ")});
  PacketDecoder client(PacketDecoder::Options{.expand_run_length = true});
  EXPECT_EQ(client.Feed(EncodePacket("0* ")), std::vector<CodecEvent>{Packet("0000")});
  EXPECT_EQ(client.Feed(EncodePacket("*0")), std::vector<CodecEvent>{Bad(Problem::kBadEncoding, "*0")});
}

}  // namespace
}  // namespace rwd::gdbserver
