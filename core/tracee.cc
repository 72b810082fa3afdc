#include "core/tracee.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <algorithm>

namespace rwd {

namespace {

// glibc's <sys/ptrace.h> lacks some of these on older headers.
constexpr int kPtraceSysemu = 31;
constexpr int kPtraceSysemuSinglestep = 32;
constexpr int kPtraceGetSyscallInfo = 0x420e;

std::string Tid(pid_t tid) { return "thread " + std::to_string(tid); }

}  // namespace

Tracee::Tracee(pid_t tid, const arch::Arch& arch) : tid_(tid), arch_(&arch) {
  ReopenMemory().IgnoreError();  // a failure shows up on first use
}

Status Tracee::ReopenMemory() {
  std::string path = "/proc/" + std::to_string(tid_) + "/mem";
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return ErrnoError("opening " + path);
  mem_fd_.Reset(fd);
  return Status::Ok();
}

Expected<arch::Registers> Tracee::GetRegisters() const {
  arch::Registers regs;
  iovec iov{regs.data(), arch_->gp_regs_size()};
  if (ptrace(PTRACE_GETREGSET, tid_, NT_PRSTATUS, &iov) != 0) {
    return ErrnoError("reading registers of " + Tid(tid_));
  }
  return regs;
}

Status Tracee::SetRegisters(const arch::Registers& regs) const {
  iovec iov{const_cast<uint8_t*>(regs.data()), arch_->gp_regs_size()};
  if (ptrace(PTRACE_SETREGSET, tid_, NT_PRSTATUS, &iov) != 0) {
    return ErrnoError("writing registers of " + Tid(tid_));
  }
  return Status::Ok();
}

Expected<std::vector<uint8_t>> Tracee::GetFpRegisters() const {
  std::vector<uint8_t> bytes(arch_->FpRegsetSize());
  iovec iov{bytes.data(), bytes.size()};
  if (ptrace(PTRACE_GETREGSET, tid_, arch_->FpRegsetType(), &iov) != 0) {
    return ErrnoError("reading FP registers of " + Tid(tid_));
  }
  bytes.resize(iov.iov_len);
  return bytes;
}

Status Tracee::SetFpRegisters(std::span<const uint8_t> bytes) const {
  iovec iov{const_cast<uint8_t*>(bytes.data()), bytes.size()};
  if (ptrace(PTRACE_SETREGSET, tid_, arch_->FpRegsetType(), &iov) != 0) {
    return ErrnoError("writing FP registers of " + Tid(tid_));
  }
  return Status::Ok();
}

Expected<SyscallStopInfo> Tracee::GetSyscallInfo() const {
  __ptrace_syscall_info info{};
  long n = ptrace(static_cast<__ptrace_request>(kPtraceGetSyscallInfo), tid_, sizeof(info), &info);
  if (n < 0) return ErrnoError("PTRACE_GET_SYSCALL_INFO on " + Tid(tid_));
  SyscallStopInfo out;
  out.ip = info.instruction_pointer;
  switch (info.op) {
    case PTRACE_SYSCALL_INFO_ENTRY:
      out.op = SyscallStopInfo::Op::kEntry;
      out.nr = static_cast<int64_t>(info.entry.nr);
      std::copy(std::begin(info.entry.args), std::end(info.entry.args), out.args.begin());
      break;
    case PTRACE_SYSCALL_INFO_EXIT:
      out.op = SyscallStopInfo::Op::kExit;
      out.result = info.exit.rval;
      break;
    case PTRACE_SYSCALL_INFO_SECCOMP:
      out.op = SyscallStopInfo::Op::kSeccomp;
      out.nr = static_cast<int64_t>(info.seccomp.nr);
      std::copy(std::begin(info.seccomp.args), std::end(info.seccomp.args), out.args.begin());
      out.seccomp_data = info.seccomp.ret_data;
      break;
    default:
      break;
  }
  return out;
}

Expected<std::vector<uint8_t>> Tracee::GetSiginfo() const {
  std::vector<uint8_t> bytes(sizeof(siginfo_t));
  if (ptrace(PTRACE_GETSIGINFO, tid_, nullptr, bytes.data()) != 0) {
    return ErrnoError("reading siginfo of " + Tid(tid_));
  }
  return bytes;
}

Status Tracee::SetSiginfo(std::span<const uint8_t> bytes) const {
  siginfo_t info{};
  std::copy_n(bytes.begin(), std::min(bytes.size(), sizeof(info)),
              reinterpret_cast<uint8_t*>(&info));
  if (ptrace(PTRACE_SETSIGINFO, tid_, nullptr, &info) != 0) {
    return ErrnoError("writing siginfo of " + Tid(tid_));
  }
  return Status::Ok();
}

Expected<unsigned long> Tracee::GetEventMsg() const {
  unsigned long msg = 0;
  if (ptrace(PTRACE_GETEVENTMSG, tid_, nullptr, &msg) != 0) {
    return ErrnoError("PTRACE_GETEVENTMSG on " + Tid(tid_));
  }
  return msg;
}

// The kernel's sigset_t is 64 bits on every architecture we support; glibc's
// 1024-bit sigset_t would be refused (PTRACE_GETSIGMASK wants the exact size).
Expected<uint64_t> Tracee::GetSignalMask() const {
  uint64_t mask = 0;
  if (ptrace(PTRACE_GETSIGMASK, tid_, sizeof(mask), &mask) != 0) {
    return ErrnoError("reading the signal mask of " + Tid(tid_));
  }
  return mask;
}

Status Tracee::SetSignalMask(uint64_t mask) const {
  if (ptrace(PTRACE_SETSIGMASK, tid_, sizeof(mask), &mask) != 0) {
    return ErrnoError("writing the signal mask of " + Tid(tid_));
  }
  return Status::Ok();
}

Expected<size_t> Tracee::ReadMemoryPartial(uint64_t addr, std::span<uint8_t> out) const {
  size_t done = 0;
  while (done < out.size()) {
    iovec local{out.data() + done, out.size() - done};
    iovec remote{reinterpret_cast<void*>(addr + done), out.size() - done};
    ssize_t n = process_vm_readv(tid_, &local, 1, &remote, 1, 0);
    if (n <= 0) {
      // process_vm_readv refuses some mappings (e.g. PROT_NONE guard pages
      // are fine to miss, but [vvar]/[vsyscall] need /proc/pid/mem).
      n = pread(mem_fd_.get(), out.data() + done, out.size() - done,
                static_cast<off_t>(addr + done));
      if (n <= 0) break;
    }
    done += static_cast<size_t>(n);
  }
  return done;
}

Status Tracee::ReadMemory(uint64_t addr, std::span<uint8_t> out) const {
  ASSIGN_OR_RETURN(size_t n, ReadMemoryPartial(addr, out));
  if (n != out.size()) {
    char buf[96];
    snprintf(buf, sizeof(buf), "reading %zu bytes at 0x%llx of ", out.size(),
             static_cast<unsigned long long>(addr));
    return Status(ErrorCode::kSystem, buf + Tid(tid_) + ": address not mapped");
  }
  return Status::Ok();
}

Expected<std::vector<uint8_t>> Tracee::ReadBytes(uint64_t addr, size_t len) const {
  std::vector<uint8_t> bytes(len);
  RETURN_IF_ERROR(ReadMemory(addr, bytes));
  return bytes;
}

Expected<std::string> Tracee::ReadCString(uint64_t addr, size_t max_len) const {
  std::string out;
  uint8_t block[256];
  while (out.size() < max_len) {
    ASSIGN_OR_RETURN(size_t n, ReadMemoryPartial(addr + out.size(), block));
    if (n == 0) return Error("unterminated string in tracee memory");
    for (size_t i = 0; i < n; ++i) {
      if (block[i] == 0) return out;
      out.push_back(static_cast<char>(block[i]));
    }
  }
  return out;
}

Status Tracee::WriteMemory(uint64_t addr, std::span<const uint8_t> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = pwrite(mem_fd_.get(), bytes.data() + done, bytes.size() - done,
                       static_cast<off_t>(addr + done));
    if (n <= 0) {
      char buf[96];
      snprintf(buf, sizeof(buf), "writing %zu bytes at 0x%llx of ", bytes.size(),
               static_cast<unsigned long long>(addr));
      return ErrnoError(buf + Tid(tid_));
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status Tracee::Resume(ResumeMode mode, int signo) const {
  int request = PTRACE_CONT;
  switch (mode) {
    case ResumeMode::kCont:
      request = PTRACE_CONT;
      break;
    case ResumeMode::kSyscall:
      request = PTRACE_SYSCALL;
      break;
    case ResumeMode::kSysemu:
      request = kPtraceSysemu;
      break;
    case ResumeMode::kSingleStep:
      request = PTRACE_SINGLESTEP;
      break;
    case ResumeMode::kSysemuSingleStep:
      request = kPtraceSysemuSinglestep;
      break;
  }
  if (ptrace(static_cast<__ptrace_request>(request), tid_, nullptr,
             reinterpret_cast<void*>(static_cast<long>(signo))) != 0) {
    if (errno == ESRCH) {
      return Status(ErrorCode::kTraceeExited, Tid(tid_) + " is gone");
    }
    return ErrnoError("resuming " + Tid(tid_));
  }
  return Status::Ok();
}

Expected<WaitStatus> Tracee::Wait(const std::function<void()>& on_interrupted) const {
  int raw = 0;
  while (true) {
    pid_t r = waitpid(tid_, &raw, __WALL);
    if (r == tid_) return WaitStatus::FromRaw(tid_, raw);
    if (r < 0 && errno == EINTR) {
      if (on_interrupted) on_interrupted();
      continue;
    }
    if (r < 0 && errno == ECHILD) {
      return Status(ErrorCode::kTraceeExited, Tid(tid_) + " is gone (killed from outside?)");
    }
    return ErrnoError("waiting for " + Tid(tid_));
  }
}

Status Tracee::SetOptions(unsigned long options) const {
  if (ptrace(PTRACE_SETOPTIONS, tid_, nullptr, reinterpret_cast<void*>(options)) != 0) {
    return ErrnoError("PTRACE_SETOPTIONS on " + Tid(tid_));
  }
  return Status::Ok();
}

Expected<std::optional<WaitStatus>> WaitAnyTracee(const std::function<bool()>& on_interrupted) {
  int raw = 0;
  while (true) {
    pid_t r = waitpid(-1, &raw, __WALL);
    if (r > 0) return std::optional<WaitStatus>(WaitStatus::FromRaw(r, raw));
    if (r < 0 && errno == EINTR) {
      if (on_interrupted && on_interrupted()) return std::optional<WaitStatus>();
      continue;
    }
    if (r < 0 && errno == ECHILD) {
      return Status(ErrorCode::kTraceeExited, "no traced thread is left");
    }
    return ErrnoError("waiting for the traced threads");
  }
}

}  // namespace rwd
