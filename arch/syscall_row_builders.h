// Constexpr helpers that make the per-architecture syscall tables read as a
// list of one-line rows, e.g.
//   Emulate(0, "read", OutResult(1))
//   Execute(9, "mmap", Special::kMmap)
// Only arch/*/syscall_rows.cc include this; everyone else sees SyscallInfo.
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
  return {static_cast<int8_t>(arg), SizeRule::kArg,
          static_cast<int8_t>(size_arg), 0};
}
constexpr OutParam OutArgTimes(int arg, int count_arg, uint32_t elem_size) {
  return {static_cast<int8_t>(arg), SizeRule::kArgTimes,
          static_cast<int8_t>(count_arg), elem_size};
}
constexpr OutParam OutArgPages(int arg, int length_arg) {
  return {static_cast<int8_t>(arg), SizeRule::kArgPages,
          static_cast<int8_t>(length_arg), 0};
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
  return {static_cast<int8_t>(arg), SizeRule::kDerefU32Arg,
          static_cast<int8_t>(len_arg), 0};
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

template <std::same_as<OutParam>... Outs>
constexpr SyscallInfo Row(int nr, std::string_view name, ReplayAction action,
                          Special special, Outs... outs) {
  static_assert(sizeof...(Outs) <= 3, "SyscallInfo holds at most 3 outputs");
  return {nr, name, action, special, {outs...}, 0};
}

template <std::same_as<OutParam>... Outs>
constexpr SyscallInfo Emulate(int nr, std::string_view name, Outs... outs) {
  return Row(nr, name, ReplayAction::kEmulate, Special::kNone, outs...);
}
template <std::same_as<OutParam>... Outs>
constexpr SyscallInfo Emulate(int nr, std::string_view name, Special special,
                              Outs... outs) {
  return Row(nr, name, ReplayAction::kEmulate, special, outs...);
}
template <std::same_as<OutParam>... Outs>
constexpr SyscallInfo Execute(int nr, std::string_view name, Outs... outs) {
  return Row(nr, name, ReplayAction::kExecute, Special::kNone, outs...);
}
template <std::same_as<OutParam>... Outs>
constexpr SyscallInfo Execute(int nr, std::string_view name, Special special,
                              Outs... outs) {
  return Row(nr, name, ReplayAction::kExecute, special, outs...);
}
constexpr SyscallInfo Deny(int nr, std::string_view name, int deny_errno,
                           Special special) {
  SyscallInfo row = Row(nr, name, ReplayAction::kDeny, special);
  row.deny_errno = deny_errno;
  return row;
}

}  // namespace rwd::arch::rows
