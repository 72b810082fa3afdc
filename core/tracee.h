// Tracee: one ptraced thread and the typed operations on it.
//
// Owns the thread's /proc/<tid>/mem descriptor (reopened after exec, when
// the old one refers to the previous address space). Does not own the
// process's lifetime: Process (core/process.h) kills and reaps it.
// Register access goes through PTRACE_GETREGSET/SETREGSET with the Arch's
// NT_PRSTATUS layout so this file has no architecture knowledge.
// Not thread-safe; ptrace requires every call from the tracing thread.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "base/scoped_fd.h"
#include "base/status.h"
#include "core/wait_status.h"

namespace rwd {

enum class ResumeMode {
  kCont,              // PTRACE_CONT
  kSyscall,           // PTRACE_SYSCALL: stop at syscall entry and exit
  kSysemu,            // PTRACE_SYSEMU: stop at entry, skip the syscall
  kSingleStep,        // PTRACE_SINGLESTEP
  kSysemuSingleStep,  // PTRACE_SYSEMU_SINGLESTEP
};

// What PTRACE_GET_SYSCALL_INFO says about the current syscall stop.
struct SyscallStopInfo {
  enum class Op { kNone, kEntry, kExit, kSeccomp } op = Op::kNone;
  int64_t nr = -1;
  std::array<uint64_t, 6> args{};
  int64_t result = 0;  // at exit
  uint64_t ip = 0;     // the instruction after the syscall instruction
  // At a seccomp stop: the SECCOMP_RET_DATA bits of the filter's answer
  // (what PTRACE_GETEVENTMSG also gives).
  uint32_t seccomp_data = 0;
};

class Tracee {
 public:
  Tracee(pid_t tid, const arch::Arch& arch);
  Tracee(Tracee&&) = default;
  Tracee& operator=(Tracee&&) = default;

  pid_t tid() const { return tid_; }
  const arch::Arch& arch() const { return *arch_; }

  Expected<arch::Registers> GetRegisters() const;
  Status SetRegisters(const arch::Registers& regs) const;
  Expected<std::vector<uint8_t>> GetFpRegisters() const;
  Status SetFpRegisters(std::span<const uint8_t> bytes) const;
  Expected<SyscallStopInfo> GetSyscallInfo() const;
  // siginfo_t bytes of the current signal-delivery-stop.
  Expected<std::vector<uint8_t>> GetSiginfo() const;
  Status SetSiginfo(std::span<const uint8_t> bytes) const;
  Expected<unsigned long> GetEventMsg() const;
  // The thread's blocked-signal mask (the kernel's 64-bit sigset_t).
  Expected<uint64_t> GetSignalMask() const;
  Status SetSignalMask(uint64_t mask) const;

  // Reads up to out.size() bytes; returns how many were readable (0 when
  // the first byte is unmapped).
  Expected<size_t> ReadMemoryPartial(uint64_t addr, std::span<uint8_t> out) const;
  // All-or-nothing read.
  Status ReadMemory(uint64_t addr, std::span<uint8_t> out) const;
  Expected<std::vector<uint8_t>> ReadBytes(uint64_t addr, size_t len) const;
  Expected<std::string> ReadCString(uint64_t addr, size_t max_len = 4096) const;
  template <typename T>
  Expected<T> Read(uint64_t addr) const {
    T value{};
    RETURN_IF_ERROR(ReadMemory(addr, {reinterpret_cast<uint8_t*>(&value), sizeof(T)}));
    return value;
  }
  // Writes through /proc/<tid>/mem, which also works on read-only pages.
  Status WriteMemory(uint64_t addr, std::span<const uint8_t> bytes);

  Status Resume(ResumeMode mode, int signo = 0) const;
  // Blocks until this thread changes state. `on_interrupted` runs whenever a
  // signal to the tracer interrupts the wait (see ScopedWakeupTimer).
  Expected<WaitStatus> Wait(const std::function<void()>& on_interrupted = nullptr) const;
  Status SetOptions(unsigned long options) const;
  // Call after an exec: /proc/<tid>/mem now names a new address space.
  Status ReopenMemory();

 private:
  pid_t tid_;
  const arch::Arch* arch_;
  ScopedFd mem_fd_;
};

// Blocks until any traced thread of ours changes state (waitpid(-1, __WALL)).
// `on_interrupted` runs whenever a signal to the tracer interrupts the wait;
// when it returns true the wait gives up and returns nullopt. kTraceeExited
// when no traced thread is left.
Expected<std::optional<WaitStatus>> WaitAnyTracee(
    const std::function<bool()>& on_interrupted = nullptr);

}  // namespace rwd
