// SiginfoView: the fields rewind reads from a siginfo_t held as raw bytes,
// as PTRACE_GETSIGINFO returns it and a trace records it.
//
// The layout is the kernel's generic one on every 64-bit architecture we
// support: si_signo, si_errno and si_code (ints), then the union, 8-byte
// aligned, whose first member is si_addr for the fault signals. A view does
// not own its bytes; too few of them read as zeros (SI_USER, address 0).
#pragma once

#include <cstdint>
#include <span>

namespace rwd::arch {

class SiginfoView {
 public:
  explicit SiginfoView(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  int code() const;
  // si_addr: the faulting address of SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGTRAP.
  uint64_t addr() const;
  // Whether `signo` with this siginfo is a fault the CPU raised (si_code >
  // 0) at the instruction, which it raises again when that instruction is
  // replayed, rather than a signal sent by a process or the kernel.
  bool IsSynchronousFault(int signo) const;

 private:
  std::span<const uint8_t> bytes_;
};

}  // namespace rwd::arch
