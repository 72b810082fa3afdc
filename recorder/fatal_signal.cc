#include "recorder/fatal_signal.h"

#include <signal.h>

#include <fstream>
#include <string>

#include "arch/siginfo_view.h"

namespace rwd::recorder {

namespace {

// The mask of /proc/TID/status line `name` ("SigCgt"), bit N-1 for signal N.
uint64_t StatusMask(pid_t tid, const std::string& name) {
  std::ifstream status("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(name + ":", 0) == 0)
      return std::stoull(line.substr(name.size() + 1), nullptr, 16);
  }
  return 0;
}

}  // namespace

bool DeliveryRunsDefaultAction(pid_t tid, int signo, const std::vector<uint8_t>& siginfo) {
  uint64_t bit = uint64_t{1} << (signo - 1);
  int si_code = arch::SiginfoView(siginfo).code();
  bool caught = StatusMask(tid, "SigCgt") & bit;
  // A fault the CPU raised (si_code > 0) cannot be blocked or ignored: the
  // kernel resets the action to the default first.
  if (si_code > 0) return !caught || (StatusMask(tid, "SigBlk") & bit);
  return !caught && !(StatusMask(tid, "SigIgn") & bit);
}

}  // namespace rwd::recorder
