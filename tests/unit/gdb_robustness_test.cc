// Robustness: 20,000 random and mutated packets against a live server. Every
// well-framed packet gets an ack and an answer, every broken frame a nack,
// line noise is survived, and afterwards a normal exchange still works.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <random>
#include <thread>

#include "base/scoped_fd.h"
#include "gdb_fake_target.h"
#include "gdb_test_client.h"
#include "gdbserver/gdb_server.h"
#include "gdbserver/hex.h"
#include "gdbserver/request_parser.h"

namespace rwd::gdbserver {
namespace {

using testing::FakeTarget;
using testing::GdbClient;

const std::vector<std::string> kCorpus = {
    "qSupported:multiprocess+;swbreak+;hwbreak+", "?", "g", "p1", "p3", "m1000,4", "x1000,4",
    "m0,10", "Z0,401136,1", "z0,401136,1", "Z2,1000,8", "z2,1000,8", "vCont;c",
    "vCont;s:p100.102;c:p100.-1", "vCont;C1e:101", "c", "s", "bc", "bs", "vCont?",
    "qXfer:features:read:target.xml:0,10", "qXfer:threads:read::0,100",
    "qXfer:libraries-svr4:read::0,100", "qXfer:auxv:read::0,100",
    "qXfer:exec-file:read:100:0,100", "qfThreadInfo", "qsThreadInfo", "qC", "Hg102", "Hc-1",
    "T101", "qThreadExtraInfo,101", "vFile:setfs:0", "vFile:open:2f,0,0", "vFile:pread:1,10,0",
    "vFile:fstat:1", "vFile:close:1", "qAttached", "qSymbol::", "qRcmd,77",
    "G00", "P1=00", "M1000,1:00", "X1000,1:\x01", "vMustReplyEmpty", "qTStatus", "qOffsets",
};

enum class Expect { kAnswer, kNack, kAnything };

struct Case {
  std::string bytes;
  Expect expect;
};

// True for payloads whose handling would end the session or change the
// ack rules midway; the generator avoids producing them as valid frames.
bool ChangesSession(std::string_view payload) {
  Expected<Request> request = ParseRequest(payload);
  return request.ok() &&
         (std::holds_alternative<Detach>(*request) || std::holds_alternative<Kill>(*request) ||
          std::holds_alternative<KillProcess>(*request) ||
          std::holds_alternative<StartNoAckMode>(*request));
}

bool Frameable(std::string_view payload) {
  return payload.find_first_of("$#") == std::string_view::npos;
}

class Mutator {
 public:
  explicit Mutator(uint32_t seed) : rng_(seed) {}

  Case Next() {
    const std::string& base = kCorpus[Pick(kCorpus.size())];
    switch (Pick(10)) {
      case 0: return Valid(base);
      case 1: return Valid(FlipBytes(base));
      case 2: return Valid(base.substr(0, Pick(base.size() + 1)));  // truncated payload
      case 3: return Valid(HugeNumbers(base));
      case 4: return Valid(InsertEscapes(base));
      case 5: return BadChecksum(base);
      case 6: return {"$" + base, Expect::kNack};  // frame never finished
      case 7: return {RandomBytes(1 + Pick(64)), Expect::kAnything};
      case 8: return Valid(RandomPrintable(Pick(40)));
      default: return {"$" + RandomBytes(Pick(32)) + "#" + RandomBytes(Pick(3)),
                       Expect::kAnything};
    }
  }

  Case Oversized() { return {EncodePacket(std::string(0x20100, 'm')), Expect::kNack}; }

 private:
  size_t Pick(size_t n) { return n == 0 ? 0 : rng_() % n; }

  Case Valid(std::string payload) {
    for (char& c : payload) {
      if (c == '$' || c == '#') c = '.';
    }
    if (!Frameable(payload) || ChangesSession(payload)) payload = "q" + payload;
    if (ChangesSession(payload)) payload = "qC";
    return {EncodePacket(payload), Expect::kAnswer};
  }

  Case BadChecksum(const std::string& payload) {
    std::string frame = EncodePacket(payload);
    char& low = frame.back();
    low = low == '0' ? '1' : '0';
    return {frame, Expect::kNack};
  }

  std::string FlipBytes(std::string text) {
    if (text.empty()) return text;
    for (size_t n = 1 + Pick(3); n > 0; --n) text[Pick(text.size())] = static_cast<char>(rng_());
    return text;
  }

  std::string HugeNumbers(std::string text) {
    std::string out;
    for (char c : text) {
      out.push_back(c);
      if (c == ',' || c == ':' || c == ';') out += "fffffffffffffffffffff";
    }
    return out;
  }

  std::string InsertEscapes(std::string text) {
    text.insert(Pick(text.size() + 1), "}");
    text.insert(Pick(text.size() + 1), std::string(1, static_cast<char>(rng_())));
    return text;
  }

  std::string RandomBytes(size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(rng_()));
    return out;
  }

  std::string RandomPrintable(size_t n) {
    std::string out;
    for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(0x20 + rng_() % 0x5f));
    return out;
  }

  std::mt19937 rng_;
};

TEST(GdbRobustness, SurvivesTwentyThousandMutatedPackets) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  ScopedFd client_fd(fds[0]);
  ScopedFd server_fd(fds[1]);
  FakeTarget target;
  target.monitor_echo_ = true;
  target.Map(0x1000, {1, 2, 3, 4});
  GdbServer server(target, server_fd.get(), server_fd.get());
  Status result = Error("Serve() did not return");
  std::thread thread([&] { result = server.Serve(); });
  GdbClient client(client_fd.get(), client_fd.get());

  Mutator mutator(20240601);
  constexpr int kCases = 20000;
  int answered = 0, nacked = 0, noise = 0;
  for (int i = 0; i < kCases; ++i) {
    Case c = (i % 1000 == 999) ? mutator.Oversized() : mutator.Next();
    client.SendRaw(c.bytes);
    // A unique monitor command after each case marks where its answers end.
    std::string marker = "sync " + std::to_string(i);
    client.Send("qRcmd," + HexEncode(marker));
    const std::string marker_output = "O" + HexEncode(marker);

    std::vector<CodecEvent> events;
    bool synced = false;
    while (!synced) {
      std::optional<CodecEvent> event = client.Next();
      ASSERT_TRUE(event.has_value()) << "server went silent at case " << i << ": "
                                     << HexEncode(c.bytes);
      ASSERT_NE(event->kind, CodecEvent::Kind::kBadPacket) << "server sent a broken frame";
      synced = event->kind == CodecEvent::Kind::kPacket && event->payload == marker_output;
      events.push_back(*event);
    }
    ASSERT_EQ(client.NextPacket(), "OK");
    // Everything before the marker: this case's events, then the marker's ack.
    ASSERT_GE(events.size(), 2u);
    ASSERT_EQ(events[events.size() - 2].kind, CodecEvent::Kind::kAck) << "case " << i;
    events.resize(events.size() - 2);
    switch (c.expect) {
      case Expect::kAnswer:
        ASSERT_GE(events.size(), 2u) << "no answer at case " << i << ": " << c.bytes;
        ASSERT_EQ(events[0].kind, CodecEvent::Kind::kAck) << "case " << i;
        for (size_t e = 1; e < events.size(); ++e) {
          ASSERT_EQ(events[e].kind, CodecEvent::Kind::kPacket) << "case " << i;
        }
        ++answered;
        break;
      case Expect::kNack:
        ASSERT_EQ(events.size(), 1u) << "case " << i << ": " << HexEncode(c.bytes);
        ASSERT_EQ(events[0].kind, CodecEvent::Kind::kNack) << "case " << i;
        ++nacked;
        break;
      case Expect::kAnything:
        ++noise;
        break;
    }
  }
  EXPECT_GT(answered, kCases / 2);
  EXPECT_GT(nacked, kCases / 10);
  EXPECT_GT(noise, kCases / 10);

  // Still a working server afterwards.
  EXPECT_EQ(client.Ask("qXfer:features:read:target.xml:0,5"), "m<?xml");
  EXPECT_EQ(client.Ask("m1000,4"), "01020304");
  EXPECT_EQ(client.Ask("G00"),
            "E.rewind: a G packet of 2 hex digits does not end at a register's end");
  EXPECT_EQ(client.Ask("D"), "OK");
  thread.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
}

}  // namespace
}  // namespace rwd::gdbserver
