// ServedReplay: `rewind replay -s 0 [ARGS] TRACE` running in the background,
// for tests that connect a gdb or front end of their own over TCP (-k, gdb/MI).
//
// The server runs in a process group of its own and is not a child of the
// test process (the gdb driver kills the children it finds left after each
// gdb); the group is killed on destruction. Not thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace rwd::e2e {

class ServedReplay {
 public:
  ServedReplay(const std::string& trace, const std::vector<std::string>& args);
  ~ServedReplay();
  ServedReplay(const ServedReplay&) = delete;
  ServedReplay& operator=(const ServedReplay&) = delete;

  bool Alive() const;
  // The port the server printed it serves; 0 when it printed none within 30 s.
  int Port();
  // What the server printed on stdout so far.
  const std::string& printed() const { return printed_; }

 private:
  pid_t group_ = -1;
  int out_fd_ = -1;
  std::string printed_;
};

}  // namespace rwd::e2e
