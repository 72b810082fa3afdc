// RegisterDescription: all a debugger front end (the gdb server) knows of an
// architecture: the register table gdb numbers, the target description XML,
// and where those registers come from (NT_PRSTATUS, the FP/vector regset).
// Plain data that compiles on every host; Arch::register_description()
// gives the architecture's. The gdb server sees this alone, so a test can
// describe a tiny register file without implementing an architecture.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "arch/registers.h"

namespace rwd::arch {

// Where gdb's register number N comes from.
enum class RegSource : uint8_t {
  kGp,    // Registers word/offset (NT_PRSTATUS layout)
  kFp,    // the architecture's extended state (xsave area / fpsimd)
  kZero,  // not available from the kernel; reported as zero
};

struct GdbRegister {
  std::string_view name;
  uint16_t bitsize = 64;
  RegSource source = RegSource::kGp;
  uint32_t offset = 0;  // byte offset within its source
  // Bytes stored at `offset` when the source field is narrower than gdb's
  // register (x87 control words are 16-bit in the xsave area, 32-bit to
  // gdb); the remaining bytes read as zero. 0 means bitsize / 8.
  uint8_t source_bytes = 0;
  // The kernel's note of the interrupted syscall (x86-64 orig_rax). gdb
  // writes -1 there whenever it sets the pc (e.g. for `run`), to cancel a
  // syscall restart; a replay restarts only what was recorded, so that
  // write changes nothing the program sees.
  bool syscall_restart = false;
};

struct RegisterDescription {
  std::string_view name;    // "x86_64", "aarch64"
  size_t gp_regs_size = 0;  // NT_PRSTATUS bytes
  // Index in this table == gdb register number.
  std::span<const GdbRegister> gdb_registers;
  // The same registers in the same order, as gdb's qXfer:features reads them.
  std::string_view target_xml;
  // regset note type holding the extended (FP/vector) state, and an upper
  // bound of its size (the kernel trims it to the exact one on reads).
  int fp_regset_type = 0;
  size_t fp_regset_size = 0;
  // The Registers word holding the address of the thread's glibc struct
  // pthread (x86-64 fs_base: TLS_TCB_AT_TP), for thread-local variables;
  // nullopt where the general registers do not hold it (AArch64: tpidr_el0
  // is in NT_ARM_TLS, not yet read here).
  std::optional<uint8_t> tcb_word;

  // The thread's struct pthread from its general registers (tcb_word).
  std::optional<uint64_t> TcbAddress(const Registers& r) const {
    if (!tcb_word) return std::nullopt;
    return r.Word(*tcb_word);
  }
};

}  // namespace rwd::arch
