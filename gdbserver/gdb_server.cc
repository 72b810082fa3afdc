#include "gdbserver/gdb_server.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace rwd::gdbserver {
namespace {

// Room for the frame and some slack beyond the payload size gdb was told.
PacketDecoder::Options DecoderOptions(const GdbServer::Options& options) {
  PacketDecoder::Options decoder;
  decoder.max_payload = options.packet_size + 64;
  return decoder;
}

GdbSession::Options SessionOptions(const GdbServer::Options& options) {
  GdbSession::Options session;
  session.packet_size = options.packet_size;
  return session;
}

}  // namespace

GdbServer::GdbServer(DebugTarget& target, int read_fd, int write_fd, Options options)
    : options_(options),
      connection_(read_fd, write_fd),
      decoder_(DecoderOptions(options)),
      session_(target, SessionOptions(options)),
      interrupted_([this] { return PollInterrupt(); }) {}

Status GdbServer::Serve() {
  while (!done_) {
    if (pending_.empty()) {
      if (eof_) return Status::Ok();
      RETURN_IF_ERROR(ReadMore(/*wait=*/true));
      continue;
    }
    CodecEvent event = std::move(pending_.front());
    pending_.pop_front();
    switch (event.kind) {
      case CodecEvent::Kind::kPacket:
        RETURN_IF_ERROR(HandlePacket(event.payload));
        break;
      case CodecEvent::Kind::kBadPacket:
        Log("bad packet", event.payload);
        if (ack_mode_) {
          RETURN_IF_ERROR(WriteRaw("-"));
        } else if (event.problem == CodecEvent::Problem::kChecksum) {
          // Without acks gdb will not resend and waits for a reply; the
          // medium is reliable, so trust the payload as gdbserver does.
          RETURN_IF_ERROR(HandlePacket(event.payload));
        }
        break;
      case CodecEvent::Kind::kNack:
        if (ack_mode_ && !last_packet_.empty()) RETURN_IF_ERROR(WriteRaw(last_packet_));
        break;
      case CodecEvent::Kind::kAck:
        break;
      case CodecEvent::Kind::kInterrupt:
        // Nothing runs: gdb raced a stop. The stop reply already went out.
        break;
    }
  }
  return Status::Ok();
}

Status GdbServer::ReadMore(bool wait) {
  std::string bytes;
  bool eof = false;
  Status status = connection_.Read(wait, &bytes, &eof);
  if (!status.ok()) return status;
  if (eof) eof_ = true;
  std::vector<CodecEvent> events;
  decoder_.Feed(bytes, &events);
  for (CodecEvent& event : events) pending_.push_back(std::move(event));
  return Status::Ok();
}

Status GdbServer::HandlePacket(const std::string& payload) {
  Log("<-", payload);
  if (ack_mode_) RETURN_IF_ERROR(WriteRaw("+"));
  GdbSession::Reply reply = session_.Handle(payload, interrupted_);
  // Before the reply, so that the reason comes before gdb's own message.
  if (!reply.notice.empty()) std::fprintf(stderr, "%s\n", reply.notice.c_str());
  for (const std::string& packet : reply.packets) RETURN_IF_ERROR(SendPacket(packet));
  if (reply.start_no_ack) ack_mode_ = false;
  if (reply.end_session) done_ = true;
  return Status::Ok();
}

Status GdbServer::SendPacket(const std::string& payload) {
  Log("->", payload);
  last_packet_ = EncodePacket(options_.run_length_encode ? RunLengthEncode(payload) : payload);
  return WriteRaw(last_packet_);
}

Status GdbServer::WriteRaw(std::string_view bytes) {
  Status status = connection_.Write(bytes);
  // gdb hung up after the last request; nobody is left to tell.
  if (!status.ok() && eof_) return Status::Ok();
  return status;
}

bool GdbServer::PollInterrupt() {
  if (TakeInterrupt() || eof_) return true;
  if (!ReadMore(/*wait=*/false).ok()) {
    eof_ = true;  // an unreadable connection will not send the interrupt
    return true;
  }
  return TakeInterrupt() || eof_;
}

bool GdbServer::TakeInterrupt() {
  auto it = std::find_if(pending_.begin(), pending_.end(), [](const CodecEvent& event) {
    return event.kind == CodecEvent::Kind::kInterrupt;
  });
  if (it == pending_.end()) return false;
  pending_.erase(it);
  return true;
}

void GdbServer::Log(const char* what, std::string_view text) const {
  if (!options_.debug) return;
  constexpr size_t kShown = 200;
  std::string shown;
  for (char c : text.substr(0, kShown)) {
    shown.push_back(c >= 0x20 && c < 0x7f ? c : '.');
  }
  std::fprintf(stderr, "rewind gdbserver: %s %s%s\n", what, shown.c_str(),
               text.size() > kShown ? "..." : "");
}

}  // namespace rwd::gdbserver
