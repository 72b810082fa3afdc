// SyscallReplayer: waits that install a temporary signal mask (rt_sigsuspend,
// pselect6, ppoll, epoll_pwait, epoll_pwait2) and were ended by a signal.
//
// The signal is usually blocked outside the wait (GNU make unblocks SIGCHLD
// only inside pselect). Only the kernel can put the waiting mask in place,
// deliver the signal under it and give the program its own mask back when
// the handler returns (the signal frame saves the mask from before the
// call). So replay runs, in place of the wait, one that returns at once
// under the same mask with the recorded signal queued: rt_sigsuspend itself,
// or for the others ppoll with no descriptors and a zero timeout, which
// touches nothing of the program's.
#include <signal.h>

#include <cstring>

#include "base/hex.h"
#include "base/signal_name.h"
#include "replayer/replay_session.h"

namespace rwd::replayer {

namespace {

// What a wait returns to the tracer when a signal ended it (the kernel's
// ERESTARTNOHAND; the program sees EINTR once the handler runs).
constexpr int64_t kRestartNoHand = -514;
// Below the stack pointer, beyond the red zone and most signal frames.
constexpr uint64_t kScratchBelowSp = 4096;

struct TemporaryMask {
  uint64_t addr = 0;
  uint64_t size = 0;
};

// The wait's temporary mask, when it has one.
Expected<std::optional<TemporaryMask>> TemporaryMaskOf(const Tracee& tracee,
                                                       const arch::SyscallInfo& row,
                                                       const std::array<uint64_t, 6>& args) {
  TemporaryMask mask;
  int arg = row.wait_mask.arg;
  if (!row.wait_mask.indirect) {
    mask = {args[arg], args[arg + 1]};
  } else if (args[arg] != 0) {
    // pselect6: the argument points to {const sigset_t* mask; size_t size}.
    ASSIGN_OR_RETURN(mask.addr, tracee.Read<uint64_t>(args[arg]));
    ASSIGN_OR_RETURN(mask.size, tracee.Read<uint64_t>(args[arg] + sizeof(uint64_t)));
  }
  if (mask.addr == 0) return std::optional<TemporaryMask>();
  return std::optional<TemporaryMask>(mask);
}

}  // namespace

bool SyscallReplayer::IsMaskedWait(const arch::SyscallInfo& row) { return row.wait_mask.arg >= 0; }

Status SyscallReplayer::ReplayMaskedWait(const arch::SyscallInfo& row,
                                         const trace::SyscallEvent& ev) {
  auto emulate = [&]() -> Status {
    ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
    return EmulateSyscall(row, ev, regs);
  };
  ASSIGN_OR_RETURN(const trace::Event* next, PeekEvent());
  auto* sig = next ? std::get_if<trace::SignalEvent>(&next->body) : nullptr;
  if (!sig || next->tid != cur().tid || sig->synchronous || !sig->fingerprint.empty()) {
    return emulate();
  }
  ASSIGN_OR_RETURN(std::optional<TemporaryMask> mask, TemporaryMaskOf(tracee(), row, ev.args));
  if (!mask) return emulate();  // the program's own mask let it in

  const arch::Arch& a = arch();
  std::optional<std::array<uint64_t, 6>> args;
  std::optional<int64_t> nr;
  uint64_t scratch = 0;
  std::vector<uint8_t> scratch_before;
  // rt_sigsuspend takes nothing but the mask (argument 0) and runs as it
  // is; the other waits become a ppoll under their mask.
  if (row.wait_mask.arg != 0) {
    ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
    scratch = (a.Sp(regs) - kScratchBelowSp - 16) & ~uint64_t{15};
    ASSIGN_OR_RETURN(scratch_before, tracee().ReadBytes(scratch, 16));
    RETURN_IF_ERROR(tracee().WriteMemory(scratch, std::vector<uint8_t>(16, 0)));
    // The first argument stays: AArch64 restarts a syscall with the x0 it
    // was entered with, which ptrace cannot set.
    args = std::array<uint64_t, 6>{ev.args[0], 0, scratch, mask->addr, mask->size, 0};
    nr = a.syscalls().FindByName("ppoll")->nr;
  }
  cur().signal_queued = true;
  std::optional<WaitStatus> exited;
  ASSIGN_OR_RETURN(int64_t result, ExecuteInPlace(args, &exited, nr, nullptr, sig->signo));
  if (exited) return Diverged(std::string(row.name) + " ended the thread");
  if (!scratch_before.empty()) RETURN_IF_ERROR(tracee().WriteMemory(scratch, scratch_before));
  if (result != kRestartNoHand) {
    return Diverged("the recorded " + SignalName(sig->signo) + " did not end " +
                    std::string(row.name) + " under its signal mask (it returned " + Hex(result) +
                    ")");
  }
  // The program's registers, the recorded result, and the wait's own number
  // (a signal without a handler restarts the syscall with it).
  ASSIGN_OR_RETURN(arch::Registers regs, tracee().GetRegisters());
  for (int i = 0; i < 6; ++i) a.SetSyscallArg(regs, i, ev.args[i]);
  a.SetSyscallNumber(regs, ev.nr);
  a.SetSyscallResult(regs, ev.result);
  RETURN_IF_ERROR(tracee().SetRegisters(regs));
  for (const trace::MemWrite& w : ev.writes) {
    RETURN_IF_ERROR(tracee().WriteMemory(w.addr, w.bytes));
  }
  return Status::Ok();
}

}  // namespace rwd::replayer
