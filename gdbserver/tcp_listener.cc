#include "gdbserver/tcp_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

namespace rwd::gdbserver {

Expected<TcpListener> TcpListener::Listen(uint16_t port) {
  ScopedFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError("creating the gdb server socket");
  int one = 1;
  // Restarting a session right after the last one must not fail on TIME_WAIT.
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return ErrnoError("binding the gdb server to 127.0.0.1:" + std::to_string(port));
  }
  if (::listen(fd.get(), 1) != 0) return ErrnoError("listening for gdb");
  socklen_t len = sizeof addr;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return ErrnoError("finding the gdb server port");
  }
  return TcpListener(std::move(fd), ntohs(addr.sin_port));
}

Expected<ScopedFd> TcpListener::Accept() {
  int client;
  do {
    client = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
  } while (client < 0 && errno == EINTR);
  if (client < 0) return ErrnoError("accepting the gdb connection");
  int one = 1;
  ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return ScopedFd(client);
}

}  // namespace rwd::gdbserver
