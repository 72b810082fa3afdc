// AArch64Host (aarch64_host.h): counter reads executed for a tracee, and
// the NT_ARM_* ptrace regsets.
#include "arch/aarch64/aarch64_host.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <optional>

#include "arch/random_word.h"
#include "base/check.h"
#include "base/hex.h"

namespace rwd::arch {

namespace {

// <elf.h> note types, spelled out so that this compiles on every host.
constexpr int kNtArmHwWatch = 0x403;
constexpr int kNtArmSystemCall = 0x404;
// si_code of a hardware breakpoint/watchpoint SIGTRAP (<asm-generic/siginfo.h>).
constexpr int kTrapHwbkpt = 4;

#if defined(__aarch64__)
// struct user_hwdebug_state (<asm/ptrace.h>): dbg_info's low byte is the
// number of slots; each slot's control word is (see the kernel's
// decode_ctrl_reg) enable:1, privilege:2 (2 = EL0), type:2 (1 load,
// 2 store, 3 both), byte-address-select:8 over the 8-byte granule at addr.
struct HwDebugState {
  uint32_t dbg_info;
  uint32_t pad;
  struct {
    uint64_t addr;
    uint32_t ctrl;
    uint32_t pad;
  } dbg_regs[16];
};

constexpr uint32_t kCtrlEnable = 1;
constexpr uint32_t kCtrlEl0 = 2 << 1;
constexpr int kCtrlTypeShift = 3;
constexpr int kCtrlBasShift = 5;

std::optional<uint32_t> LoadStoreBits(HwKind kind) {
  switch (kind) {
    case HwKind::kRead:
      return 1;
    case HwKind::kWrite:
      return 2;
    case HwKind::kAccess:
      return 3;
    case HwKind::kExecute:
      break;
  }
  return std::nullopt;
}

bool ReadWatchState(pid_t tid, HwDebugState& state) {
  state = {};
  iovec iov{&state, sizeof(state)};
  return ptrace(PTRACE_GETREGSET, tid, kNtArmHwWatch, &iov) == 0;
}
#endif

}  // namespace

const AArch64Host& AArch64Host::Instance() {
  static const AArch64Host* const instance = new AArch64Host();
  return *instance;
}

std::vector<uint64_t> AArch64Host::ExecuteTrapInsn(const Registers& regs, const TrapInsn& insn,
                                                   CpuidMask) const {
#if defined(__aarch64__)
  switch (insn.kind) {
    case TrapInsnKind::kCounterRead: {
      // isb keeps the read from being done ahead of the trap.
      uint64_t value = 0;
      asm volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(value) : : "memory");
      return {value};
    }
    case TrapInsnKind::kRdrand:
    case TrapInsnKind::kRdseed:
      // The kernel's pool instead of RNDR: same quality, and the tracer
      // need not depend on FEAT_RNG.
      return {RandomWord()};
    default:
      break;
  }
  FATAL("ExecuteTrapInsn on an instruction AArch64 does not trap");
#else
  FATAL("ExecuteTrapInsn needs an aarch64 host");
#endif
}

// The kernel read the number from x8 before reporting the entry stop and
// keeps it in pt_regs->syscallno, which only NT_ARM_SYSTEM_CALL reaches.
// x8 itself stays as the program set it (code may rely on it after svc).
Status AArch64Host::SetSyscallNumberAtEntry(pid_t tid, Registers& regs, int64_t nr) const {
  int number = static_cast<int>(nr);
  iovec iov{&number, sizeof(number)};
  if (ptrace(PTRACE_SETREGSET, tid, kNtArmSystemCall, &iov) != 0) {
    return ErrnoError("writing NT_ARM_SYSTEM_CALL of thread " + std::to_string(tid));
  }
  return Status::Ok();
}

Status AArch64Host::SetHwWatchpoints(pid_t tid, std::span<const HwWatch> watches) const {
#if defined(__aarch64__)
  const std::string thread = " of thread " + std::to_string(tid);
  HwDebugState state;
  if (!ReadWatchState(tid, state)) return ErrnoError("reading NT_ARM_HW_WATCH" + thread);
  const size_t slots = state.dbg_info & 0xff;
  if (watches.size() > slots || slots > std::size(state.dbg_regs)) {
    return Status(ErrorCode::kUnsupported, std::to_string(watches.size()) +
                                               " watchpoints do not fit in the " +
                                               std::to_string(slots) + " watchpoint registers");
  }
  for (size_t i = 0; i < slots; ++i) {
    state.dbg_regs[i].addr = 0;
    state.dbg_regs[i].ctrl = 0;
    if (i >= watches.size()) continue;
    const HwWatch& w = watches[i];
    std::optional<uint32_t> type = LoadStoreBits(w.kind);
    const uint64_t offset = w.addr & 7;
    const bool len_ok = w.len == 1 || w.len == 2 || w.len == 4 || w.len == 8;
    if (!type || !len_ok || offset + w.len > 8) {
      return Status(ErrorCode::kUnsupported, "an AArch64 watchpoint register cannot watch " +
                                                 std::to_string(w.len) + " bytes at " +
                                                 Hex(w.addr) + " this way");
    }
    const uint32_t bas = ((1u << w.len) - 1) << offset;
    state.dbg_regs[i].addr = w.addr - offset;
    state.dbg_regs[i].ctrl =
        kCtrlEnable | kCtrlEl0 | *type << kCtrlTypeShift | bas << kCtrlBasShift;
  }
  iovec iov{&state, offsetof(HwDebugState, dbg_regs) + slots * sizeof(state.dbg_regs[0])};
  if (ptrace(PTRACE_SETREGSET, tid, kNtArmHwWatch, &iov) != 0) {
    return ErrnoError("writing NT_ARM_HW_WATCH" + thread);
  }
  return Status::Ok();
#else
  return Status(ErrorCode::kUnsupported, "AArch64 watchpoint registers need an aarch64 host");
#endif
}

std::optional<int> AArch64Host::TakeHwWatchpointHit(pid_t tid) const {
#if defined(__aarch64__)
  siginfo_t info{};
  if (ptrace(PTRACE_GETSIGINFO, tid, nullptr, &info) != 0) return std::nullopt;
  if (info.si_signo != SIGTRAP || info.si_code != kTrapHwbkpt) return std::nullopt;
  HwDebugState state;
  if (!ReadWatchState(tid, state)) return std::nullopt;
  const size_t slots = std::min<size_t>(state.dbg_info & 0xff, std::size(state.dbg_regs));
  // si_addr is the address the instruction accessed; the kernel picks the
  // watchpoint whose granule is nearest (an access may start before it).
  const uint64_t accessed = reinterpret_cast<uint64_t>(info.si_addr);
  std::optional<int> best;
  uint64_t best_distance = UINT64_MAX;
  for (size_t i = 0; i < slots; ++i) {
    const uint32_t ctrl = state.dbg_regs[i].ctrl;
    if (!(ctrl & kCtrlEnable)) continue;
    const uint32_t bas = (ctrl >> kCtrlBasShift) & 0xff;
    if (bas == 0) continue;
    const uint64_t start = state.dbg_regs[i].addr + __builtin_ctz(bas);
    const uint64_t end = state.dbg_regs[i].addr + 32 - __builtin_clz(bas);
    const uint64_t distance = accessed < start ? start - accessed
                              : accessed >= end ? accessed - end + 1
                                                : 0;
    if (distance < best_distance) {
      best_distance = distance;
      best = static_cast<int>(i);
    }
  }
  return best;
#else
  return std::nullopt;
#endif
}

}  // namespace rwd::arch
