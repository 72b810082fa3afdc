// GdbServer end to end over a socketpair, pipes and TCP: acks, no-ack mode,
// nacks, the interrupt byte, and how sessions end.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "base/scoped_fd.h"
#include "gdb_fake_target.h"
#include "gdb_test_client.h"
#include "gdbserver/gdb_server.h"
#include "gdbserver/tcp_listener.h"

namespace rwd::gdbserver {
namespace {

using testing::FakeTarget;
using testing::GdbClient;

// A server on one end of a socketpair, serving on its own thread.
class GdbServerTest : public ::testing::Test {
 protected:
  void Start(GdbServer::Options options = {}) {
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    client_fd_.Reset(fds[0]);
    server_fd_.Reset(fds[1]);
    server_ = std::make_unique<GdbServer>(target_, server_fd_.get(), server_fd_.get(), options);
    client_ = std::make_unique<GdbClient>(client_fd_.get(), client_fd_.get());
    thread_ = std::thread([this] { result_ = server_->Serve(); });
  }

  // Waits for Serve() to return and gives its status.
  Status Join() {
    if (thread_.joinable()) thread_.join();
    return result_;
  }

  void TearDown() override {
    client_fd_.Reset();
    if (thread_.joinable()) thread_.join();
  }

  FakeTarget target_;
  ScopedFd client_fd_;
  ScopedFd server_fd_;
  std::unique_ptr<GdbServer> server_;
  std::unique_ptr<GdbClient> client_;
  std::thread thread_;
  Status result_ = Error("Serve() did not return");
};

TEST_F(GdbServerTest, HandshakeAcksThenNoAckModeThenDetach) {
  Start();
  EXPECT_EQ(client_->Ask("qSupported:multiprocess+;swbreak+").substr(0, 16), "PacketSize=20000");
  client_->SendRaw("+");
  EXPECT_EQ(client_->Ask("QStartNoAckMode"), "OK");
  client_->SendRaw("+");  // gdb acks the OK; the server must not mind
  client_->ack_mode = false;
  EXPECT_EQ(client_->Ask("?"), "T05thread:p100.101;");
  // In no-ack mode nothing precedes the reply.
  client_->Send("qC");
  std::optional<CodecEvent> event = client_->Next();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->kind, CodecEvent::Kind::kPacket);
  EXPECT_EQ(event->payload, "QCp100.101");
  EXPECT_EQ(client_->Ask("D"), "OK");
  EXPECT_TRUE(Join().ok());
}

TEST_F(GdbServerTest, ExactBytesOnTheWire) {
  Start();
  client_->SendRaw("$?#3f");
  char buffer[64] = {};
  std::string got;
  while (got.size() < std::string("+$T05thread:101;#38").size()) {
    ssize_t n = ::read(client_fd_.get(), buffer, sizeof buffer);
    ASSERT_GT(n, 0);
    got.append(buffer, static_cast<size_t>(n));
  }
  EXPECT_EQ(got, "+$T05thread:101;#38");
}

TEST_F(GdbServerTest, BadChecksumIsNackedAndSessionGoesOn) {
  Start();
  client_->SendRaw("$?#00");
  std::optional<CodecEvent> nack = client_->Next();
  ASSERT_TRUE(nack.has_value());
  EXPECT_EQ(nack->kind, CodecEvent::Kind::kNack);
  EXPECT_EQ(client_->Ask("?"), "T05thread:101;");
}

TEST_F(GdbServerTest, NackMakesTheServerResend) {
  Start();
  EXPECT_EQ(client_->Ask("qC"), "QC101");
  client_->SendRaw("-");
  EXPECT_EQ(client_->NextPacket(), "QC101");
}

TEST_F(GdbServerTest, InterruptByteStopsARunningTarget) {
  target_.run_until_interrupted_ = true;
  Start();
  client_->Send("vCont;c");
  std::optional<CodecEvent> ack = client_->Next();
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->kind, CodecEvent::Kind::kAck);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  client_->SendRaw("\x03");
  EXPECT_EQ(client_->NextPacket(), "T02thread:101;");
  EXPECT_EQ(client_->Ask("?"), "T02thread:101;");
}

TEST_F(GdbServerTest, InterruptSentRightAfterTheRequestIsNotLost) {
  target_.run_until_interrupted_ = true;
  Start();
  client_->SendRaw(EncodePacket("vCont;c") + "\x03");
  EXPECT_EQ(client_->NextPacket(), "T02thread:101;");
}

TEST_F(GdbServerTest, InterruptWhileStoppedIsIgnored) {
  Start();
  client_->SendRaw("\x03");
  EXPECT_EQ(client_->Ask("qC"), "QC101");
  EXPECT_TRUE(target_.resumes_.empty());
}

TEST_F(GdbServerTest, EndOfInputEndsTheSession) {
  Start();
  EXPECT_EQ(client_->Ask("qC"), "QC101");
  client_fd_.Reset();
  EXPECT_TRUE(Join().ok());
}

TEST_F(GdbServerTest, HangingUpWhileRunningStopsTheTargetAndEnds) {
  target_.run_until_interrupted_ = true;
  Start();
  client_->Send("vCont;c");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  client_fd_.Reset();
  EXPECT_TRUE(Join().ok());
  EXPECT_EQ(target_.resumes_.size(), 1u);
}

TEST_F(GdbServerTest, KillEndsTheSessionWithoutAReply) {
  Start();
  client_->Send("k");
  EXPECT_TRUE(Join().ok());
  EXPECT_TRUE(target_.killed_);
}

TEST_F(GdbServerTest, RunLengthEncodedRepliesDecodeToTheSameBytes) {
  target_.registers_[0x101] = arch::Registers();
  Start(GdbServer::Options{.run_length_encode = true});
  EXPECT_EQ(client_->Ask("g"), std::string(16 * 2 + 8, '0') + "0102030405060708090a000000007f030000");
}

TEST_F(GdbServerTest, ServerStaysUsableAfterRefusedWrites) {
  Start();
  EXPECT_EQ(client_->Ask("M1000,1:00"),
            "E.rewind: replay is read-only; registers and memory cannot be changed");
  EXPECT_EQ(client_->Ask("G00"),
            "E.rewind: a G packet of 2 hex digits does not end at a register's end");
  EXPECT_EQ(client_->Ask("p1"), "0010400000000000");
}

TEST(GdbServerPipes, ServesOverSeparateReadAndWriteFds) {
  int to_server[2];
  int from_server[2];
  ASSERT_EQ(::pipe2(to_server, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(from_server, O_CLOEXEC), 0);
  ScopedFd server_in(to_server[0]), client_out(to_server[1]);
  ScopedFd client_in(from_server[0]), server_out(from_server[1]);
  FakeTarget target;
  GdbServer server(target, server_in.get(), server_out.get());
  Status result = Error("not run");
  std::thread thread([&] { result = server.Serve(); });
  GdbClient client(client_in.get(), client_out.get());
  EXPECT_EQ(client.Ask("qAttached"), "1");
  EXPECT_EQ(client.Ask("D"), "OK");
  thread.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
}

TEST(GdbServerTcp, ListensOnAnEphemeralLoopbackPort) {
  Expected<TcpListener> listener = TcpListener::Listen(0);
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  ASSERT_NE(listener->port(), 0);
  ScopedFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(listener->port());
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  Expected<ScopedFd> connection = listener->Accept();
  ASSERT_TRUE(connection.ok()) << connection.status().ToString();
  FakeTarget target;
  GdbServer server(target, connection->get(), connection->get());
  Status result = Error("not run");
  std::thread thread([&] { result = server.Serve(); });
  GdbClient gdb(client.get(), client.get());
  EXPECT_EQ(gdb.Ask("qC"), "QC101");
  EXPECT_EQ(gdb.Ask("vKill;100"), "OK");
  thread.join();
  EXPECT_TRUE(result.ok()) << result.ToString();
  EXPECT_TRUE(target.killed_);
}

TEST(GdbServerTcp, BusyPortIsAnError) {
  Expected<TcpListener> first = TcpListener::Listen(0);
  ASSERT_TRUE(first.ok());
  Expected<TcpListener> second = TcpListener::Listen(first->port());
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("127.0.0.1:"), std::string::npos);
}

}  // namespace
}  // namespace rwd::gdbserver
