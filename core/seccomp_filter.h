// The seccomp-bpf program the recorder installs at spawn when it buffers
// syscalls in process (preload/): syscalls made from one instruction (the
// syscall buffer's untraced one) run without a stop; every other syscall
// stops the tracee with PTRACE_EVENT_SECCOMP, where the recorder handles it
// as it handles a syscall-entry stop. Filters survive fork and exec.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

namespace rwd {

// The SECCOMP_RET_DATA of the filter's SECCOMP_RET_TRACE (the event message
// of its PTRACE_EVENT_SECCOMP stops): another value there comes from a
// filter of the program's own.
inline constexpr uint16_t kUntracedIpFilterData = 0x7277;

// `audit_arch`: arch::Arch::AuditArch(); syscalls of any other ABI (x32,
// i386 via int 0x80) are traced. `allowed_ip`: the address right after the
// allowed syscall instruction (seccomp_data.instruction_pointer).
std::vector<sock_filter> UntracedIpFilter(uint32_t audit_arch, uint64_t allowed_ip);

}  // namespace rwd
