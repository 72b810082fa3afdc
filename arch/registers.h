// Registers: an architecture-neutral container for a thread's general
// purpose register set, laid out exactly as the kernel's NT_PRSTATUS regset
// of that architecture (user_regs_struct on x86-64, user_pt_regs on AArch64).
//
// Generic code never indexes the words itself; it asks the Arch interface
// (arch/arch.h) for pc, sp, syscall number, arguments and result. Keeping the
// kernel layout means PTRACE_GETREGSET can fill it directly and it can be
// stored in a trace byte for byte.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

namespace rwd::arch {

class Registers {
 public:
  static constexpr size_t kMaxWords = 40;  // >= 34 on AArch64, 27 on x86-64

  uint64_t Word(size_t i) const { return words_[i]; }
  void SetWord(size_t i, uint64_t v) { words_[i] = v; }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(words_.data()); }
  const uint8_t* data() const {
    return reinterpret_cast<const uint8_t*>(words_.data());
  }
  static constexpr size_t capacity_bytes() { return kMaxWords * 8; }

  bool operator==(const Registers& o) const { return words_ == o.words_; }

 private:
  std::array<uint64_t, kMaxWords> words_{};
};

}  // namespace rwd::arch
