#include "gdbserver/connection.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace rwd::gdbserver {
namespace {

constexpr size_t kReadSize = 64 * 1024;

bool IsSocket(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

// Waits for `events` on fd; timeout -1 blocks. True when ready.
Status WaitFor(int fd, short events, int timeout_ms, bool* ready) {
  struct pollfd pfd = {fd, events, 0};
  int n;
  do {
    n = ::poll(&pfd, 1, timeout_ms);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoError("waiting for the gdb connection");
  *ready = n > 0;
  return Status::Ok();
}

}  // namespace

Connection::Connection(int read_fd, int write_fd)
    : read_fd_(read_fd), write_fd_(write_fd), write_is_socket_(IsSocket(write_fd)) {}

Status Connection::Read(bool wait, std::string* out, bool* eof) {
  *eof = false;
  bool ready = false;
  RETURN_IF_ERROR(WaitFor(read_fd_, POLLIN, wait ? -1 : 0, &ready));
  if (!ready) return Status::Ok();
  char buffer[kReadSize];
  ssize_t n;
  do {
    n = ::read(read_fd_, buffer, sizeof buffer);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Ok();
    if (errno == ECONNRESET) {
      *eof = true;
      return Status::Ok();
    }
    return ErrnoError("reading from gdb");
  }
  if (n == 0) {
    *eof = true;
    return Status::Ok();
  }
  out->append(buffer, static_cast<size_t>(n));
  return Status::Ok();
}

Status Connection::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = write_is_socket_ ? ::send(write_fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL)
                                 : ::write(write_fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        bool ready = false;
        RETURN_IF_ERROR(WaitFor(write_fd_, POLLOUT, -1, &ready));
        continue;
      }
      return ErrnoError("writing to gdb");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace rwd::gdbserver
