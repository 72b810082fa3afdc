// A minimal gdb stand-in for server tests: frames requests, reads acks and
// replies (expanding run-length encoding as gdb does) with a timeout, so a
// broken server fails a test instead of hanging it.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <optional>
#include <string>

#include "gdbserver/packet_codec.h"

namespace rwd::gdbserver::testing {

class GdbClient {
 public:
  GdbClient(int read_fd, int write_fd) : read_fd_(read_fd), write_fd_(write_fd) {}

  void SendRaw(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::write(write_fd_, bytes.data(), bytes.size());
      ASSERT_GT(n, 0) << "writing to the server failed";
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  void Send(std::string_view payload) { SendRaw(EncodePacket(payload)); }

  // The next ack, nack or packet; nullopt after `timeout_ms` or at EOF.
  std::optional<CodecEvent> Next(int timeout_ms = 5000) {
    while (events_.empty()) {
      struct pollfd pfd = {read_fd_, POLLIN, 0};
      if (::poll(&pfd, 1, timeout_ms) <= 0) return std::nullopt;
      char buffer[65536];
      ssize_t n = ::read(read_fd_, buffer, sizeof buffer);
      if (n <= 0) return std::nullopt;
      std::vector<CodecEvent> events;
      decoder_.Feed(std::string_view(buffer, static_cast<size_t>(n)), &events);
      events_.insert(events_.end(), events.begin(), events.end());
    }
    CodecEvent event = events_.front();
    events_.pop_front();
    return event;
  }

  // The next packet's payload, skipping acks; "<timeout>" if none comes.
  std::string NextPacket() {
    while (std::optional<CodecEvent> event = Next()) {
      if (event->kind == CodecEvent::Kind::kPacket) return event->payload;
      if (event->kind == CodecEvent::Kind::kBadPacket) return "<bad packet>";
    }
    return "<timeout>";
  }

  // Request/reply: checks the '+' in ack mode and returns the reply.
  std::string Ask(std::string_view payload) {
    Send(payload);
    if (ack_mode) {
      std::optional<CodecEvent> ack = Next();
      if (!ack || ack->kind != CodecEvent::Kind::kAck) return "<no ack>";
    }
    return NextPacket();
  }

  bool ack_mode = true;

 private:
  int read_fd_;
  int write_fd_;
  PacketDecoder decoder_{PacketDecoder::Options{.max_payload = 1 << 20,
                                                .expand_run_length = true}};
  std::deque<CodecEvent> events_;
};

}  // namespace rwd::gdbserver::testing
