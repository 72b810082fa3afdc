#include "core/fork_advice.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "base/hex.h"
#include "core/remote_syscall.h"

namespace rwd {

namespace {

// The kernel's values (uapi asm-generic/mman-common.h), the same on every
// architecture rewind supports; older libc headers lack the last two.
constexpr uint64_t kDontFork = 10;
constexpr uint64_t kDoFork = 11;
constexpr uint64_t kWipeOnFork = 18;
constexpr uint64_t kKeepOnFork = 19;
constexpr uint64_t kPage = 4096;

}  // namespace

bool ForkAdvice::IsForkAdvice(uint64_t advice) {
  return advice == kDontFork || advice == kDoFork || advice == kWipeOnFork ||
         advice == kKeepOnFork;
}

void ForkAdvice::Add(Ranges& ranges, uint64_t start, uint64_t end) {
  Remove(ranges, start, end);
  auto next = ranges.lower_bound(start);
  // Merge with neighbours that touch.
  if (next != ranges.begin()) {
    auto prev = std::prev(next);
    if (prev->second == start) {
      start = prev->first;
      ranges.erase(prev);
    }
  }
  if (next != ranges.end() && next->first == end) {
    end = next->second;
    ranges.erase(next);
  }
  ranges[start] = end;
}

void ForkAdvice::Remove(Ranges& ranges, uint64_t start, uint64_t end) {
  auto it = ranges.lower_bound(start);
  if (it != ranges.begin() && std::prev(it)->second > start) --it;
  while (it != ranges.end() && it->first < end) {
    const uint64_t from = it->first;
    const uint64_t to = it->second;
    it = ranges.erase(it);
    if (from < start) ranges[from] = start;
    if (to > end) ranges[end] = to;
  }
}

void ForkAdvice::Advise(uint64_t start, uint64_t len, uint64_t advice) {
  const uint64_t end = start + ((len + kPage - 1) & ~(kPage - 1));
  if (end <= start) return;
  switch (advice) {
    case kDontFork:
      Add(dont_fork_, start, end);
      break;
    case kDoFork:
      Remove(dont_fork_, start, end);
      break;
    case kWipeOnFork:
      Add(wipe_on_fork_, start, end);
      break;
    case kKeepOnFork:
      Remove(wipe_on_fork_, start, end);
      break;
    default:
      break;
  }
}

void ForkAdvice::Forget(uint64_t start, uint64_t end) {
  if (end <= start) return;
  Remove(dont_fork_, start, end);
  Remove(wipe_on_fork_, start, end);
}

void ForkAdvice::Track(arch::Special special, std::span<const uint64_t, 6> args, int64_t result) {
  if (result < 0) return;
  switch (special) {
    case arch::Special::kMmap:
      Forget(static_cast<uint64_t>(result), static_cast<uint64_t>(result) + args[1]);
      break;
    case arch::Special::kMremap: {
      const uint64_t to = static_cast<uint64_t>(result);
      Forget(std::min(args[0], to), std::max(args[0] + args[1], to + args[2]));
      break;
    }
    case arch::Special::kMunmap:
      Forget(args[0], args[0] + args[1]);
      break;
    case arch::Special::kMadvise:
      Advise(args[0], args[1], args[2]);
      break;
    default:
      break;
  }
}

std::vector<ForkAdvice::Range> ForkAdvice::DontForkRanges() const {
  return {dont_fork_.begin(), dont_fork_.end()};
}

std::vector<ForkAdvice::Range> ForkAdvice::WipeOnForkRanges() const {
  return {wipe_on_fork_.begin(), wipe_on_fork_.end()};
}

ForkAdvice ForkAdvice::FromRanges(std::span<const Range> dont_fork,
                                  std::span<const Range> wipe_on_fork) {
  ForkAdvice advice;
  for (const auto& [start, end] : dont_fork) Add(advice.dont_fork_, start, end);
  for (const auto& [start, end] : wipe_on_fork) Add(advice.wipe_on_fork_, start, end);
  return advice;
}

ForkAdvice ForkAdvice::InChild() const {
  ForkAdvice child;
  child.wipe_on_fork_ = wipe_on_fork_;
  return child;
}

Status ForkAdvice::ApplyToChild(Tracee& child, uint64_t syscall_insn) const {
  const arch::SyscallTable& table = child.arch().syscalls();
  auto inject = [&](const char* name, uint64_t start, uint64_t end, uint64_t third) -> Status {
    SyscallArgs args;
    args.v = {start, end - start, third, 0, 0, 0};
    ASSIGN_OR_RETURN(int64_t r, InjectSyscall(child, syscall_insn, table.FindByName(name)->nr, args));
    if (r < 0) {
      return SystemError(std::string(name) + " of " + Hex(start) + ".." + Hex(end) +
                             " in a forked child, as the recorded one had it",
                         static_cast<int>(-r));
    }
    return Status::Ok();
  };
  for (const auto& [start, end] : dont_fork_) RETURN_IF_ERROR(inject("munmap", start, end, 0));
  for (const auto& [start, end] : wipe_on_fork_) {
    RETURN_IF_ERROR(inject("madvise", start, end, MADV_DONTNEED));
  }
  return Status::Ok();
}

Status ForkAdvice::AdviseAll(Tracee& process, uint64_t syscall_insn, const Ranges& ranges,
                             uint64_t advice) {
  const arch::SyscallInfo* madvise = process.arch().syscalls().FindByName("madvise");
  for (const auto& [start, end] : ranges) {
    SyscallArgs args;
    args.v = {start, end - start, advice, 0, 0, 0};
    ASSIGN_OR_RETURN(int64_t r, InjectSyscall(process, syscall_insn, madvise->nr, args));
    // ENOMEM: part of the range is unmapped (the rest has the advice), as
    // when the program gave it.
    if (r < 0 && r != -ENOMEM) {
      return SystemError("madvise(" + Hex(start) + ".." + Hex(end) + ", " + std::to_string(advice) +
                             ") injected into process " + std::to_string(process.tid()),
                         static_cast<int>(-r));
    }
  }
  return Status::Ok();
}

Status ForkAdvice::Lend(Tracee& process, uint64_t syscall_insn) const {
  RETURN_IF_ERROR(AdviseAll(process, syscall_insn, dont_fork_, kDoFork));
  return AdviseAll(process, syscall_insn, wipe_on_fork_, kKeepOnFork);
}

Status ForkAdvice::Withdraw(Tracee& process, uint64_t syscall_insn) const {
  RETURN_IF_ERROR(AdviseAll(process, syscall_insn, dont_fork_, kDontFork));
  return AdviseAll(process, syscall_insn, wipe_on_fork_, kWipeOnFork);
}

}  // namespace rwd
