// StopSource: where the recorder's scheduler gets the next thing to handle.
// Every one is a ptrace stop today (PtraceStopSource: waitpid on any
// tracee); the in-process syscall buffer is to plug in here, delivering
// batches of syscalls that arrive without a ptrace stop.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "base/status.h"
#include "core/wait_status.h"

namespace rwd::recorder {

class StopSource {
 public:
  virtual ~StopSource() = default;
  // Blocks until a thread of the recorded tree stops or ends. With a
  // `period`, calls `wake` about that often while it waits; when `wake`
  // returns true, the wait ends with nullopt. Without one, `wake` runs only
  // when a signal to the recorder interrupts the wait. kTraceeExited when
  // no traced thread is left.
  virtual Expected<std::optional<WaitStatus>> Next(std::optional<std::chrono::microseconds> period,
                                                   const std::function<bool()>& wake) = 0;
};

class PtraceStopSource final : public StopSource {
 public:
  Expected<std::optional<WaitStatus>> Next(std::optional<std::chrono::microseconds> period,
                                           const std::function<bool()>& wake) override;
};

}  // namespace rwd::recorder
