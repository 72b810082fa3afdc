// ThreadLocalAddress: where a thread's thread-local variable lives, for
// gdb's qGetTLSAddr (`p errno`). gdb gives the module's link_map address and
// the variable's offset in the module's TLS block; the server finds the
// block through glibc's dynamic thread vector.
//
// No libthread_db: glibc exports the layout of its private structures for
// libthread_db as _thread_db_* symbols (three uint32 each: size in bits,
// element count, byte offset), so the addresses of link_map.l_tls_modid,
// pthread.dtv and dtv_t.pointer.val are read from the recorded libc itself,
// whatever its version. The thread's struct pthread comes from
// Arch::TcbAddress. Stateless.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace rwd::gdbserver {

struct TlsLookup {
  // Up to len bytes of the process's memory at addr.
  std::function<Expected<std::vector<uint8_t>>(uint64_t addr, size_t len)> read;
  // The address of a symbol of the process's libraries (.dynsym).
  std::function<std::optional<uint64_t>(std::string_view name)> symbol;
  // The thread's struct pthread.
  uint64_t tcb = 0;
};

Expected<uint64_t> ThreadLocalAddress(const TlsLookup& lookup, uint64_t link_map, uint64_t offset);

}  // namespace rwd::gdbserver
