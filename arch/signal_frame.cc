#include "arch/signal_frame.h"

namespace rwd::arch {

namespace {

// x86-64 rt_sigframe at the handler's first instruction: the return address
// (8 bytes), then the ucontext: uc_flags, uc_link, uc_stack (40 bytes) and
// the sigcontext, whose words 19, 20 and 22 are err, trapno and cr2.
constexpr uint64_t kX86SigcontextAtSp = 8 + 40;
constexpr uint64_t kX86ErrWord = 19;
constexpr uint64_t kX86TrapnoWord = 20;
constexpr uint64_t kX86Cr2Word = 22;

}  // namespace

std::vector<uint64_t> SignalFrameTrapWords(const Arch& arch, const Registers& regs) {
  if (arch.name() != "x86_64") return {};
  uint64_t sigcontext = arch.Sp(regs) + kX86SigcontextAtSp;
  return {sigcontext + kX86ErrWord * 8, sigcontext + kX86TrapnoWord * 8,
          sigcontext + kX86Cr2Word * 8};
}

}  // namespace rwd::arch
