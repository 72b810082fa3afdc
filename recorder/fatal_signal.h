// Whether a signal about to be delivered ends its process with a core dump
// (a crash): the recorder tells its owner at that stop, while the thread can
// still be inspected (`rewind ci` unwinds it for the crash report).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "arch/registers.h"
#include "core/tracee.h"

namespace rwd::recorder {

// The thread `tracee` is at the signal-delivery-stop of `signo`, which is
// about to kill its process `pid` with a core dump. Everything is valid only
// during the call; the tracee must be left stopped where it is.
struct FatalSignalStop {
  pid_t pid = 0;
  const Tracee* tracee = nullptr;
  int signo = 0;
  std::vector<uint8_t> siginfo;
  arch::Registers regs;
};
using FatalSignalHook = std::function<void(const FatalSignalStop&)>;

// Whether delivering `signo` (with `siginfo`) to thread `tid` now runs the
// default action: no handler, and for a fault the kernel raises itself,
// also when the program blocks or ignores it (the kernel forces those).
bool DeliveryRunsDefaultAction(pid_t tid, int signo, const std::vector<uint8_t>& siginfo);

}  // namespace rwd::recorder
