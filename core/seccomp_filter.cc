#include "core/seccomp_filter.h"

#include <linux/seccomp.h>
#include <stddef.h>

namespace rwd {

std::vector<sock_filter> UntracedIpFilter(uint32_t audit_arch, uint64_t allowed_ip) {
  constexpr uint32_t kArch = offsetof(seccomp_data, arch);
  constexpr uint32_t kIpLow = offsetof(seccomp_data, instruction_pointer);
  constexpr uint32_t kIpHigh = kIpLow + 4;
  // Jump offsets count instructions after the jump; 4 and 2 reach `trace`.
  return {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kArch),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, audit_arch, 0, 5),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpLow),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(allowed_ip), 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kIpHigh),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(allowed_ip >> 32), 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | kUntracedIpFilterData),
  };
}

}  // namespace rwd
