#include "recorder/stop_source.h"

#include "core/tracee.h"

namespace rwd::recorder {

Expected<std::optional<WaitStatus>> PtraceStopSource::Next(const std::function<bool()>& wake) {
  return WaitAnyTracee(wake);
}

}  // namespace rwd::recorder
