#include "recorder/fatal_signal.h"

#include <signal.h>

#include "arch/siginfo_view.h"
#include "core/proc_signal_masks.h"

namespace rwd::recorder {

bool DeliveryRunsDefaultAction(pid_t tid, int signo, const std::vector<uint8_t>& siginfo) {
  int si_code = arch::SiginfoView(siginfo).code();
  bool caught = HasSignal(ProcSignalMask(tid, "SigCgt"), signo);
  // A fault the CPU raised (si_code > 0) cannot be blocked or ignored: the
  // kernel resets the action to the default first.
  if (si_code > 0) return !caught || HasSignal(ProcSignalMask(tid, "SigBlk"), signo);
  return !caught && !HasSignal(ProcSignalMask(tid, "SigIgn"), signo);
}

}  // namespace rwd::recorder
