// The syscall semantics table: what each syscall the recorder supports does,
// and which syscalls it refuses, written once for every architecture. An
// architecture contributes only its numbers (those below 424; from there all
// architectures number alike) and the sizes of the few structures whose
// layout differs (arch/<arch>/syscall_numbers.cc); NumberSyscalls joins the
// two into what a SyscallTable (arch/syscall_table.h) serves.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "arch/syscall_table.h"

namespace rwd::arch {

// One entry of an architecture's number map.
struct SyscallNumber {
  int nr = -1;
  std::string_view name;
};

// Sizes of the structures named by Layout, as an architecture lays them out.
struct StructLayouts {
  uint32_t stat = 0;
  uint32_t epoll_event = 0;
};

// Every supported syscall of any architecture, unnumbered (nr -1), with
// Layout outputs unsized.
std::span<const SyscallInfo> SyscallSemantics();
// The semantics row named `name`; nullptr when there is none.
const SyscallInfo* SemanticsOf(std::string_view name);

// An architecture's syscalls, numbered: a row for each one rewind records,
// a name for each one it refuses or the kernel retired.
struct NumberedSyscalls {
  std::vector<SyscallInfo> rows;  // Layout outputs sized
  std::vector<SyscallName> refused;
};

// `numbers`: the architecture's own, below 424; the shared ones from 424 on
// are added. A name with neither semantics nor a place among the refused or
// retired syscalls is a bug in the number map: an always-on check stops the
// program naming it.
NumberedSyscalls NumberSyscalls(std::span<const SyscallNumber> numbers,
                                const StructLayouts& layouts);

}  // namespace rwd::arch
