// GdbServer: serves one gdb connection over a pair of fds until gdb detaches
// or kills (D, k, vKill) or closes the connection.
//
// Usage (the CLI):
//   // TCP: gdb -ex 'target extended-remote 127.0.0.1:PORT'
//   ASSIGN_OR_RETURN(TcpListener listener, TcpListener::Listen(port));
//   ... tell the user listener.port() ...
//   ASSIGN_OR_RETURN(ScopedFd socket, listener.Accept());
//   GdbServer server(target, socket.get(), socket.get());
//   RETURN_IF_ERROR(server.Serve());
//
//   // stdio: gdb -ex 'target extended-remote | rewind replay --stdio TRACE'
//   GdbServer server(target, STDIN_FILENO, STDOUT_FILENO);
//   (stdout then belongs to the protocol; ignore SIGPIPE, see connection.h)
//
// Acks are on until gdb asks for QStartNoAckMode. A packet with a bad
// checksum is nacked ('-'); a nack from gdb resends our last packet. While the
// target runs, its `interrupted` poll reads the connection without blocking
// and reports gdb's interrupt byte (Ctrl-C). Malformed input never ends the
// session: only D, k, vKill, end of input or an I/O error do. Refusals that
// gdb would report without their reason (a memory write during replay) are
// also explained on stderr, which is the user's terminal.
//
// Borrows the target and the fds. Single-threaded: Serve() runs on the
// calling thread, which is also the thread that calls the target.
#pragma once

#include <deque>
#include <functional>
#include <string>

#include "base/status.h"
#include "gdbserver/connection.h"
#include "gdbserver/debug_target.h"
#include "gdbserver/packet_codec.h"
#include "gdbserver/session.h"

namespace rwd::gdbserver {

class GdbServer {
 public:
  struct Options {
    // Log every packet and protocol error to stderr.
    bool debug = false;
    // Run-length encode replies (gdb always understands it).
    bool run_length_encode = false;
    size_t packet_size = 0x20000;
  };

  GdbServer(DebugTarget& target, int read_fd, int write_fd)
      : GdbServer(target, read_fd, write_fd, Options{}) {}
  GdbServer(DebugTarget& target, int read_fd, int write_fd, Options options);

  // Ok when the session ended normally (D, k, vKill, gdb went away).
  Status Serve();

 private:
  Status ReadMore(bool wait);
  Status HandlePacket(const std::string& payload);
  Status SendPacket(const std::string& payload);
  Status WriteRaw(std::string_view bytes);
  // The `interrupted` callback given to the target while it runs.
  bool PollInterrupt();
  bool TakeInterrupt();
  void Log(const char* what, std::string_view text) const;

  Options options_;
  Connection connection_;
  PacketDecoder decoder_;
  GdbSession session_;
  std::deque<CodecEvent> pending_;
  std::function<bool()> interrupted_;
  std::string last_packet_;  // framed, for resending on a nack
  bool ack_mode_ = true;
  bool eof_ = false;
  bool done_ = false;
};

}  // namespace rwd::gdbserver
