// Constexpr helpers that make the syscall semantics table read as a list of
// one-line rows, e.g.
//   Emulate("read", Args(3).Blocks().Buffered(), OutResult(1))
//   Execute("mmap", Args(6), Special::kMmap)
// Only arch/syscall_semantics.cc includes this; everyone else sees SyscallInfo.
//
// Conventions shared by every table:
//  - `outs` list every buffer the kernel may write that plain data can
//    describe. A row with a Special still lists those; the Special code adds
//    only what data cannot say (layouts chosen by a request code, writes on
//    failure, iovecs), so a generic recorder can always honour `outs` first.
//  - A pointer argument that is NULL at exit has nothing to record; optional
//    outputs (gettimeofday's timezone, wait4's rusage) rely on that.
//  - An OutParam may describe a superset of what the kernel wrote (waitid
//    writes a few siginfo fields). That is safe when the memory is there:
//    replay writes back the bytes as they were at syscall exit. Where a
//    superset could reach past the caller's buffer (capget's data, sized by
//    the header's version), the rule computes the exact size.
#pragma once

#include <concepts>
#include <cstdint>
#include <string_view>

#include "arch/syscall_table.h"

namespace rwd::arch::rows {

constexpr OutParam OutFixed(int arg, uint32_t size) {
  return {static_cast<int8_t>(arg), SizeRule::kFixed, -1, size};
}
constexpr OutParam OutArg(int arg, int size_arg) {
  return {static_cast<int8_t>(arg), SizeRule::kArg, static_cast<int8_t>(size_arg), 0};
}
constexpr OutParam OutArgTimes(int arg, int count_arg, uint32_t elem_size) {
  return {static_cast<int8_t>(arg), SizeRule::kArgTimes, static_cast<int8_t>(count_arg), elem_size};
}
constexpr OutParam OutArgPages(int arg, int length_arg) {
  return {static_cast<int8_t>(arg), SizeRule::kArgPages, static_cast<int8_t>(length_arg), 0};
}
constexpr OutParam OutResult(int arg) {
  return {static_cast<int8_t>(arg), SizeRule::kResult, -1, 0};
}
constexpr OutParam OutResultTimes(int arg, uint32_t elem_size) {
  return {static_cast<int8_t>(arg), SizeRule::kResultTimes, -1, elem_size};
}
// A buffer whose length the kernel stores in the u32 that `len_arg` points
// to. The row must also list that u32 itself (OutFixed(len_arg, 4)).
constexpr OutParam OutDerefU32(int arg, int len_arg) {
  return {static_cast<int8_t>(arg), SizeRule::kDerefU32Arg, static_cast<int8_t>(len_arg), 0};
}
// capget's data: `struct_size` bytes per 32 capabilities of the header's
// version (the header pointer is argument `header_arg`).
constexpr OutParam OutCapData(int arg, int header_arg, uint32_t struct_size) {
  return {static_cast<int8_t>(arg), SizeRule::kCapVersion, static_cast<int8_t>(header_arg),
          struct_size};
}
constexpr OutParam OutNulString(int arg, uint32_t max_size) {
  return {static_cast<int8_t>(arg), SizeRule::kNulString, -1, max_size};
}

// A structure whose size the architecture supplies.
constexpr OutParam OutFixed(int arg, Layout layout) {
  return {static_cast<int8_t>(arg), SizeRule::kFixed, -1, 0, layout};
}
constexpr OutParam OutResultTimes(int arg, Layout layout) {
  return {static_cast<int8_t>(arg), SizeRule::kResultTimes, -1, 0, layout};
}

// The columns of a row other than how it is recorded and replayed.
struct Traits {
  uint8_t args = 6;
  Echo echo = Echo::kNone;
  bool blocks = false;
  bool buffered = false;
  int8_t query_arg = -1;
  bool at_dirfd = false;
  uint64_t clone_flags = 0;
  arch::WaitMask wait_mask;

  constexpr Traits Echoes(Echo e) const {
    return With([e](Traits& t) { t.echo = e; });
  }
  constexpr Traits Blocks() const {
    return With([](Traits& t) { t.blocks = true; });
  }
  constexpr Traits Buffered() const {
    return With([](Traits& t) { t.buffered = true; });
  }
  // Buffered only as a query: with argument `arg` null the call reads state
  // and changes none, so replay need not run it.
  constexpr Traits BufferedQuery(int arg) const {
    return With([arg](Traits& t) {
      t.buffered = true;
      t.query_arg = static_cast<int8_t>(arg);
    });
  }
  constexpr Traits AtDirfd() const {
    return With([](Traits& t) { t.at_dirfd = true; });
  }
  constexpr Traits ImpliesCloneFlags(uint64_t flags) const {
    return With([flags](Traits& t) { t.clone_flags = flags; });
  }
  constexpr Traits MaskedWait(int arg) const {
    return With([arg](Traits& t) { t.wait_mask = {static_cast<int8_t>(arg), false}; });
  }
  constexpr Traits MaskedWaitIndirect(int arg) const {
    return With([arg](Traits& t) { t.wait_mask = {static_cast<int8_t>(arg), true}; });
  }

 private:
  template <typename F>
  constexpr Traits With(F f) const {
    Traits t = *this;
    f(t);
    return t;
  }
};
constexpr Traits Args(int n) { return Traits{.args = static_cast<uint8_t>(n)}; }

template <std::same_as<OutParam>... Outs>
constexpr SyscallInfo Row(std::string_view name, Traits traits, ReplayAction action,
                          Special special, Outs... outs) {
  static_assert(sizeof...(Outs) <= 3, "SyscallInfo holds at most 3 outputs");
  SyscallInfo row{-1, name, action, special, {outs...}, 0};
  row.arg_count = traits.args;
  row.echo = traits.echo;
  row.may_block = traits.blocks;
  row.bufferable = traits.buffered;
  row.buffered_query_arg = traits.query_arg;
  row.at_dirfd = traits.at_dirfd;
  row.implied_clone_flags = traits.clone_flags;
  row.wait_mask = traits.wait_mask;
  return row;
}

template <std::same_as<OutParam>... Outs>
constexpr SyscallInfo Emulate(std::string_view name, Traits traits, Outs... outs) {
  return Row(name, traits, ReplayAction::kEmulate, Special::kNone, outs...);
}
template <std::same_as<OutParam>... Outs>
constexpr SyscallInfo Emulate(std::string_view name, Traits traits, Special special, Outs... outs) {
  return Row(name, traits, ReplayAction::kEmulate, special, outs...);
}
template <std::same_as<OutParam>... Outs>
constexpr SyscallInfo Execute(std::string_view name, Traits traits, Outs... outs) {
  return Row(name, traits, ReplayAction::kExecute, Special::kNone, outs...);
}
template <std::same_as<OutParam>... Outs>
constexpr SyscallInfo Execute(std::string_view name, Traits traits, Special special, Outs... outs) {
  return Row(name, traits, ReplayAction::kExecute, special, outs...);
}
constexpr SyscallInfo Deny(std::string_view name, Traits traits, int deny_errno, Special special) {
  SyscallInfo row = Row(name, traits, ReplayAction::kDeny, special);
  row.deny_errno = deny_errno;
  return row;
}

}  // namespace rwd::arch::rows
