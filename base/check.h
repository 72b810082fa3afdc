// CHECK and FATAL: always-on checks of invariants, in release builds too.
//
// A broken invariant is a bug in rewind, not a user error: it prints where
// (file:line), what failed (the expression) and the caller's message with
// whatever context it has (event number, tid, registers), then aborts so a
// core dump or gdb shows the state. Failures a user can cause or fix return
// Status instead (base/status.h).
//
//   CHECK(i >= 0 && i < 6, "syscall argument " + std::to_string(i));
//   CHECK(handle != nullptr);
//   FATAL("ApplyTrapInsn on an instruction x86-64 does not trap");
#pragma once

#include <string>
#include <string_view>

namespace rwd {

// Prints "rewind: internal error at <file>:<line>: check `<expr>` failed:
// <message>" (no check clause when `expr` is null) to stderr and aborts.
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr,
                              std::string_view message);

inline std::string_view CheckMessage() { return {}; }
inline std::string_view CheckMessage(std::string_view message) { return message; }

}  // namespace rwd

#define CHECK(cond, ...)                                                               \
  do {                                                                                 \
    if (!(cond)) [[unlikely]] {                                                        \
      ::rwd::CheckFailed(__FILE__, __LINE__, #cond, ::rwd::CheckMessage(__VA_ARGS__)); \
    }                                                                                  \
  } while (0)

#define FATAL(message) ::rwd::CheckFailed(__FILE__, __LINE__, nullptr, (message))
