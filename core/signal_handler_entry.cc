#include "core/signal_handler_entry.h"

#include <signal.h>

#include "arch/signal_frame.h"
#include "base/signal_name.h"
#include "core/proc_signal_masks.h"

namespace rwd {

bool SignalEntersHandler(const Tracee& tracee, int signo) {
  Expected<arch::Registers> regs = tracee.GetRegisters();
  return regs.ok() && !arch::SignalFrameTrapWords(tracee.arch(), *regs).empty() &&
         // Caught and not blocked: a blocked one would be queued again by the
         // kernel and arrive later.
         HasSignal(ProcSignalMask(tracee.tid(), "SigCgt"), signo) &&
         !HasSignal(ProcSignalMask(tracee.tid(), "SigBlk"), signo);
}

Status ClearSignalFrameTrapRecord(Tracee& tracee) {
  ASSIGN_OR_RETURN(arch::Registers entry, tracee.GetRegisters());
  const uint8_t zero[8] = {};
  for (uint64_t addr : arch::SignalFrameTrapWords(tracee.arch(), entry)) {
    RETURN_IF_ERROR(tracee.WriteMemory(addr, zero).Wrap("clearing a signal frame's trap record"));
  }
  return Status::Ok();
}

Expected<bool> EnterSignalHandler(Tracee& tracee, int signo, ResumeMode step) {
  if (!SignalEntersHandler(tracee, signo)) return false;
  // The kernel builds the frame and reports the step at the handler's first
  // instruction before running any of it.
  RETURN_IF_ERROR(tracee.Resume(step, signo));
  ASSIGN_OR_RETURN(WaitStatus ws, tracee.Wait());
  if (ws.kind != WaitStatus::Kind::kSignalStop || ws.signo != SIGTRAP) {
    return Status(ErrorCode::kUnsupported,
                  "delivering " + SignalName(signo) + " to thread " + std::to_string(tracee.tid()) +
                      " ended in " + ws.ToString() + " instead of the handler's first instruction");
  }
  RETURN_IF_ERROR(ClearSignalFrameTrapRecord(tracee));
  return true;
}

}  // namespace rwd
