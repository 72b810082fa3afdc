#include "arch/signal_frame.h"

namespace rwd::arch {

std::vector<uint64_t> SignalFrameTrapWords(const Arch& arch, const Registers& regs) {
  std::vector<uint64_t> words;
  for (uint64_t offset : arch.description().signal_frame_trap_words) {
    words.push_back(arch.Sp(regs) + offset);
  }
  return words;
}

}  // namespace rwd::arch
