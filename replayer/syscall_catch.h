// SyscallCatch: which syscalls a debugger catches (gdb's `catch syscall`):
// the replay stops at the entry and at the return of each one the debugger
// sees a thread of its process make.
#pragma once

#include <cstdint>
#include <set>

namespace rwd::replayer {

struct SyscallCatch {
  bool all = false;
  std::set<int64_t> numbers;  // when not `all`

  static SyscallCatch All() { return SyscallCatch{true, {}}; }
  bool empty() const { return !all && numbers.empty(); }
  bool Catches(int64_t nr) const { return all || numbers.count(nr) != 0; }
  // Caught by this one or `other`.
  SyscallCatch Union(const SyscallCatch& other) const {
    SyscallCatch out{all || other.all, numbers};
    out.numbers.insert(other.numbers.begin(), other.numbers.end());
    if (out.all) out.numbers.clear();
    return out;
  }
  bool operator==(const SyscallCatch&) const = default;
};

}  // namespace rwd::replayer
