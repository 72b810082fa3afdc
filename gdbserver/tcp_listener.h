// TcpListener: a listening socket on 127.0.0.1 for gdb to connect to.
// Loopback only: the protocol has no authentication and reads any file the
// server can (vFile), so it must not be reachable from other machines.
// Owns the listening fd; move-only.
#pragma once

#include <cstdint>

#include "base/scoped_fd.h"
#include "base/status.h"

namespace rwd::gdbserver {

class TcpListener {
 public:
  // port 0 picks a free ephemeral port; port() tells which.
  static Expected<TcpListener> Listen(uint16_t port);

  uint16_t port() const { return port_; }
  int fd() const { return fd_.get(); }

  // Waits for one connection; the socket has TCP_NODELAY set because the
  // protocol is a ping-pong of small packets.
  Expected<ScopedFd> Accept();

 private:
  TcpListener(ScopedFd fd, uint16_t port) : fd_(std::move(fd)), port_(port) {}

  ScopedFd fd_;
  uint16_t port_ = 0;
};

}  // namespace rwd::gdbserver
