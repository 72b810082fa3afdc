// Connection: the byte pipe to gdb, a read fd and a write fd. They may be the
// same socket (TCP) or stdin/stdout (`target remote | rewind replay
// --stdio`). Does not own the fds; the caller keeps them open while the
// Connection is used.
//
// Writes to a socket use MSG_NOSIGNAL, so a vanished gdb is an error
// status, not a SIGPIPE. A pipe cannot opt out per call: a program serving
// gdb over stdout should ignore SIGPIPE. Single-threaded.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace rwd::gdbserver {

class Connection {
 public:
  Connection(int read_fd, int write_fd);

  // Appends what is available to `out`. Blocks until something arrives when
  // `wait` is set; otherwise returns at once. `*eof` is set when the peer
  // closed its end.
  Status Read(bool wait, std::string* out, bool* eof);
  Status Write(std::string_view bytes);

 private:
  int read_fd_;
  int write_fd_;
  bool write_is_socket_;
};

}  // namespace rwd::gdbserver
