// Robustness of the real server: `rewind replay -s 0 TRACE` over TCP gets
// ten thousand random and mutated packets (a fixed seed, so every run sends
// the same bytes) on its one connection, then must still speak the protocol
// sanely on that connection: the same registers and memory as before the
// garbage, and a continue that replays the program to its recorded exit.
//
// The garbage never contains a well-framed packet that would legitimately
// end the session or move the replay (D, k, vKill, QStartNoAckMode, resumes,
// breakpoint inserts, monitor restart/goto/checkpoint): the point is that
// nothing else, however malformed, disturbs the server.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <optional>
#include <random>
#include <regex>

#include "gdbserver/hex.h"
#include "gdbserver/packet_codec.h"
#include "gdbserver/request_parser.h"
#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

using gdbserver::CodecEvent;
using gdbserver::EncodePacket;
using gdbserver::HexEncode;

constexpr char kRewindBinary[] = REWIND_BINARY;

// `rewind replay -s 0 TRACE` in the background, in its own process group,
// its stderr in a file; killed and reaped on destruction.
class ServedReplay {
 public:
  ServedReplay(const std::string& trace, const std::string& stderr_path) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      dup2(out[1], STDOUT_FILENO);
      int null_fd = open("/dev/null", O_RDONLY);
      dup2(null_fd, STDIN_FILENO);
      int err_fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(err_fd, STDERR_FILENO);
      execl(kRewindBinary, kRewindBinary, "replay", "-s", "0", trace.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    out_fd_ = out[0];
  }
  ~ServedReplay() {
    if (out_fd_ >= 0) close(out_fd_);
    if (pid_ > 0 && !reaped_) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  // The port from "rewind: serving ... on 127.0.0.1:PORT"; 0 on timeout.
  int ReadPort(std::string* printed) {
    static const std::regex kServing(R"(serving .* on 127\.0\.0\.1:(\d+))");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      std::smatch m;
      if (std::regex_search(*printed, m, kServing)) return std::stoi(m[1].str());
      pollfd pfd = {out_fd_, POLLIN, 0};
      if (poll(&pfd, 1, 100) <= 0) continue;
      char buf[1024];
      ssize_t n = read(out_fd_, buf, sizeof buf);
      if (n <= 0) return 0;
      printed->append(buf, static_cast<size_t>(n));
    }
    return 0;
  }

  // Waits up to `timeout` for the server to exit; its wait status, or
  // nullopt if it is still running.
  std::optional<int> WaitExit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        kill(-pid_, SIGKILL);  // checkpoints or a tracee left behind
        return status;
      }
      usleep(10000);
    } while (std::chrono::steady_clock::now() < deadline);
    return std::nullopt;
  }

  bool Alive() { return !reaped_ && kill(pid_, 0) == 0 && !WaitExit(std::chrono::milliseconds(0)); }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  bool reaped_ = false;
};

// A gdb stand-in on a TCP connection: raw bytes out, decoded events in
// (run-length encoding expanded as gdb does), every read with a timeout.
class WireClient {
 public:
  bool Connect(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
    // Small requests go out at once, as gdb's do.
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return true;
  }
  ~WireClient() {
    if (fd_ >= 0) close(fd_);
  }

  bool SendRaw(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  std::optional<CodecEvent> Next(int timeout_ms = 10000) {
    while (events_.empty()) {
      pollfd pfd = {fd_, POLLIN, 0};
      if (poll(&pfd, 1, timeout_ms) <= 0) return std::nullopt;
      char buf[65536];
      ssize_t n = read(fd_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      std::vector<CodecEvent> events;
      decoder_.Feed(std::string_view(buf, static_cast<size_t>(n)), &events);
      events_.insert(events_.end(), events.begin(), events.end());
    }
    CodecEvent event = events_.front();
    events_.pop_front();
    return event;
  }

  // Sends a request and returns its reply (skipping acks); "<none>" when
  // nothing comes.
  std::string Ask(const std::string& payload) {
    if (!SendRaw(EncodePacket(payload))) return "<send failed>";
    while (std::optional<CodecEvent> event = Next()) {
      if (event->kind == CodecEvent::Kind::kPacket) return event->payload;
      if (event->kind == CodecEvent::Kind::kBadPacket) return "<bad packet>";
    }
    return "<none>";
  }

 private:
  int fd_ = -1;
  gdbserver::PacketDecoder decoder_{gdbserver::PacketDecoder::Options{0x40000, true}};
  std::deque<CodecEvent> events_;
};

// Requests whose handling is legitimate but would end the session, change
// the ack rules, move the replay or leave a trap in the program.
bool Disturbs(std::string_view payload) {
  Expected<gdbserver::Request> request = gdbserver::ParseRequest(payload);
  if (!request.ok()) return false;
  if (std::holds_alternative<gdbserver::Detach>(*request) ||
      std::holds_alternative<gdbserver::Kill>(*request) ||
      std::holds_alternative<gdbserver::KillProcess>(*request) ||
      std::holds_alternative<gdbserver::StartNoAckMode>(*request) ||
      std::holds_alternative<gdbserver::VCont>(*request) ||
      std::holds_alternative<gdbserver::LegacyResume>(*request) ||
      std::holds_alternative<gdbserver::ReverseResume>(*request)) {
    return true;
  }
  if (const auto* bp = std::get_if<gdbserver::Breakpoint>(&*request)) return bp->insert;
  if (const auto* monitor = std::get_if<gdbserver::MonitorCommand>(&*request)) {
    std::string verb = monitor->command.substr(0, monitor->command.find(' '));
    return verb == "restart" || verb == "goto" || verb == "checkpoint";
  }
  return false;
}

// True when a server decoding `bytes` from its idle state would handle a
// disturbing request (a frame with a valid checksum).
bool ContainsDisturbingPacket(const std::string& bytes) {
  gdbserver::PacketDecoder decoder;
  for (const CodecEvent& event : decoder.Feed(bytes)) {
    if (event.kind == CodecEvent::Kind::kPacket && Disturbs(event.payload)) return true;
  }
  return false;
}

class Garbage {
 public:
  Garbage(uint32_t seed, std::vector<std::string> corpus)
      : rng_(seed), corpus_(std::move(corpus)) {}

  std::string Next() {
    while (true) {
      std::string bytes = Candidate();
      if (!ContainsDisturbingPacket(bytes)) return bytes;
    }
  }

 private:
  size_t Pick(size_t n) { return n == 0 ? 0 : rng_() % n; }
  char Byte() { return static_cast<char>(rng_()); }

  std::string Mutate(std::string text) {
    switch (Pick(6)) {
      case 0:  // flip bytes
        for (size_t n = 1 + Pick(3); n > 0 && !text.empty(); --n) text[Pick(text.size())] = Byte();
        return text;
      case 1:  // truncate
        return text.substr(0, Pick(text.size() + 1));
      case 2: {  // huge or negative numbers after separators
        std::string out;
        for (char c : text) {
          out.push_back(c);
          if ((c == ',' || c == ':' || c == ';' || c == '=') && Pick(2) == 0) {
            out += Pick(2) ? "ffffffffffffffffffffffff" : "-1";
          }
        }
        return out;
      }
      case 3:  // stray escapes and run-length markers
        text.insert(Pick(text.size() + 1), Pick(2) ? "}" : "*");
        text.insert(Pick(text.size() + 1), 1, Byte());
        return text;
      case 4:  // duplicated tail
        return text + text.substr(Pick(text.size() + 1));
      default:  // random printable text
        text.clear();
        for (size_t n = Pick(48); n > 0; --n) text.push_back(static_cast<char>(0x20 + Pick(0x5f)));
        return text;
    }
  }

  std::string Candidate() {
    const std::string& base = corpus_[Pick(corpus_.size())];
    switch (Pick(8)) {
      case 0:
        return EncodePacket(base);
      case 1:
      case 2:
      case 3:
        return EncodePacket(Mutate(base));
      case 4: {  // bad checksum
        std::string frame = EncodePacket(Mutate(base));
        frame.back() = frame.back() == '0' ? '1' : '0';
        return frame;
      }
      case 5:
        return "$" + Mutate(base);  // never finished
      case 6: {                     // raw noise, including '+', '-', 0x03 and '%'
        std::string noise;
        for (size_t n = 1 + Pick(64); n > 0; --n) noise.push_back(Byte());
        return noise;
      }
      default:  // a frame around random bytes with a random checksum
        std::string frame = "$";
        for (size_t n = Pick(32); n > 0; --n) frame.push_back(Byte());
        frame += "#";
        for (size_t n = Pick(3); n > 0; --n) frame.push_back(Byte());
        return frame;
    }
  }

  std::mt19937 rng_;
  std::vector<std::string> corpus_;
};

using GdbServerRobustnessTest = E2ETest;

TEST_F(GdbServerRobustnessTest, RealServerSurvivesThousandsOfMutatedPacketsOverTcp) {
  Recording rec = Record("gdb_forward");
  ASSERT_EQ(rec.exit_status, 3) << rec.Describe();
  std::string server_stderr = NewPath("server-stderr");
  ServedReplay server(rec.trace, server_stderr);
  std::string printed;
  int port = server.ReadPort(&printed);
  ASSERT_GT(port, 0) << "no port in: " << printed;

  WireClient client;
  ASSERT_TRUE(client.Connect(port));
  std::string supported =
      client.Ask("qSupported:multiprocess+;swbreak+;hwbreak+;xmlRegisters=i386");
  ASSERT_TRUE(Contains(supported, "PacketSize="));
  std::string halt = client.Ask("?");
  ASSERT_EQ(halt.substr(0, 3), "T05") << halt;
  std::string registers = client.Ask("g");
  ASSERT_GT(registers.size(), 200u) << registers;
  ASSERT_EQ(registers.find_first_not_of("0123456789abcdefx"), std::string::npos) << registers;
  // rip is gdb's register 16 on x86-64; read the code at the current pc.
  std::string rip_le = client.Ask("p10");
  ASSERT_EQ(rip_le.size(), 16u) << rip_le;
  uint64_t pc = 0;
  for (int i = 7; i >= 0; --i)
    pc = pc << 8 | std::stoul(rip_le.substr(2 * static_cast<size_t>(i), 2), nullptr, 16);
  char pc_hex[32];
  snprintf(pc_hex, sizeof pc_hex, "%llx", static_cast<unsigned long long>(pc));
  std::string code_request = std::string("m") + pc_hex + ",20";
  std::string code = client.Ask(code_request);
  ASSERT_EQ(code.size(), 64u) << code;

  std::vector<std::string> corpus = {"qSupported:multiprocess+;swbreak+;hwbreak+",
                                     "?",
                                     "g",
                                     "p0",
                                     "p10",
                                     "p39",
                                     "pffff",
                                     code_request,
                                     std::string("x") + pc_hex + ",10",
                                     "m0,10",
                                     "mffffffffffffff00,100",
                                     std::string("z0,") + pc_hex + ",1",
                                     "z2,1000,8",
                                     "vCont?",
                                     "qXfer:features:read:target.xml:0,fff",
                                     "qXfer:features:read:i386-64bit.xml:0,fff",
                                     "qXfer:threads:read::0,fff",
                                     "qXfer:libraries-svr4:read::0,fff",
                                     "qXfer:auxv:read::0,100",
                                     "qXfer:exec-file:read::0,fff",
                                     "qfThreadInfo",
                                     "qsThreadInfo",
                                     "qC",
                                     "Hg0",
                                     "Hc-1",
                                     "T1",
                                     "qThreadExtraInfo,1",
                                     "vFile:setfs:0",
                                     "vFile:open:" + HexEncode("/proc/self/maps") + ",0,0",
                                     "vFile:pread:1,100,0",
                                     "vFile:fstat:1",
                                     "vFile:close:1",
                                     "qAttached",
                                     "qSymbol::",
                                     "qRcmd," + HexEncode("when"),
                                     "qRcmd," + HexEncode("stats"),
                                     "qRcmd," + HexEncode("help"),
                                     "G00",
                                     "P10=00",
                                     // Writes that fail (nothing is mapped
                                     // at 0), in the copy they make.
                                     "M0,1:cc",
                                     "X0,1:\x01",
                                     "vMustReplyEmpty",
                                     "qTStatus",
                                     "qOffsets",
                                     "QNonStop:1",
                                     "vStopped",
                                     "qGetTLSAddr:1,0,0"};

  Garbage garbage(20261122, corpus);
  constexpr int kCases = 10000;
  int well_framed = 0;  // cases holding a packet the server had to answer
  for (int i = 0; i < kCases; ++i) {
    std::string bytes = garbage.Next();
    for (const CodecEvent& event : gdbserver::PacketDecoder().Feed(bytes)) {
      if (event.kind == CodecEvent::Kind::kPacket) {
        ++well_framed;
        break;
      }
    }
    // A monitor command nobody knows, named after the case, marks where the
    // answers to this case end: its output echoes the name.
    std::string sync = "sync-" + std::to_string(i);
    ASSERT_TRUE(client.SendRaw(bytes + EncodePacket("qRcmd," + HexEncode(sync))))
        << "connection lost at case " << i;
    std::string echo = "O" + HexEncode("unknown monitor command '" + sync + "'");
    bool synced = false;
    while (!synced) {
      std::optional<CodecEvent> event = client.Next();
      ASSERT_TRUE(event.has_value()) << "server silent after case " << i << ": " << HexEncode(bytes)
                                     << "\nalive: " << server.Alive();
      ASSERT_NE(event->kind, CodecEvent::Kind::kBadPacket) << "server sent a broken frame";
      synced = event->kind == CodecEvent::Kind::kPacket && event->payload.rfind(echo, 0) == 0;
    }
    std::optional<CodecEvent> event;
    do {
      event = client.Next();
      ASSERT_TRUE(event.has_value()) << "no OK after the monitor output, case " << i;
    } while (event->kind != CodecEvent::Kind::kPacket);
    ASSERT_EQ(event->payload, "OK") << "case " << i;
  }

  EXPECT_GT(well_framed, kCases / 3);

  // The same state as before, and the protocol still works.
  EXPECT_TRUE(Contains(client.Ask("qSupported:swbreak+"), "PacketSize="));
  EXPECT_EQ(client.Ask("?").substr(0, 3), "T05");
  EXPECT_EQ(client.Ask("g"), registers);
  EXPECT_EQ(client.Ask(code_request), code);
  EXPECT_EQ(client.Ask("G00"),
            "E.rewind: a G packet of 2 hex digits does not end at a register's end");
  // Breakpoints still work: at the current pc (removed again), then the
  // replay runs to the recorded exit, where the process stays: the end of
  // history (the exit status goes to the user's terminal, below).
  EXPECT_EQ(client.Ask(std::string("Z0,") + pc_hex + ",1"), "OK");
  EXPECT_EQ(client.Ask(std::string("z0,") + pc_hex + ",1"), "OK");
  std::string end = client.Ask("vCont;c");
  EXPECT_EQ(end.substr(0, 3), "T05") << end;
  EXPECT_TRUE(Contains(end, "replaylog:end;")) << end;
  client.SendRaw(EncodePacket("k"));
  std::optional<int> status = server.WaitExit(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value()) << "the server did not exit after k";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << "wait status " << *status;
  // What the server said: the failed writes among the garbage, explained.
  std::ifstream err(server_stderr);
  std::string said((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(Contains(said, "rewind: writing 1 bytes at 0x0 of")) << said;
  EXPECT_TRUE(Contains(said, "exited with code 03] here")) << said;
}

}  // namespace
}  // namespace rwd::e2e
