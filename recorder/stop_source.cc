#include "recorder/stop_source.h"

#include "core/tracee.h"
#include "core/wakeup_timer.h"

namespace rwd::recorder {

Expected<std::optional<WaitStatus>> PtraceStopSource::Next(
    std::optional<std::chrono::microseconds> period, const std::function<bool()>& wake) {
  if (!period) return WaitAnyTracee(wake);
  // The timer's signals interrupt the wait; each one asks `wake`.
  ScopedWakeupTimer timer(*period);
  return WaitAnyTracee(wake);
}

}  // namespace rwd::recorder
