// Status and Expected<T>: the error currency of rewind.
//
// No exceptions cross module boundaries. A function that can fail returns a
// [[nodiscard]] Status or Expected<T> whose message a user can act on. The
// code says what kind of failure it is so callers (and tests) can react to,
// e.g., a divergence differently from a corrupt trace.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "base/check.h"

namespace rwd {

enum class ErrorCode {
  kOk = 0,
  kError,          // generic failure with a message
  kSystem,         // a system call failed; message carries errno text
  kNotFound,       // a file, trace, process or symbol does not exist
  kInvalidInput,   // bad arguments or malformed input from a user or peer
  kUnsupported,    // valid but not supported (e.g. an unknown syscall)
  kCorrupt,        // trace data fails integrity checks
  kVersion,        // trace written by an incompatible format version
  kTruncated,      // trace ends early (recorder killed, disk full)
  kDivergence,     // replay differs from the recording
  kTraceeExited,   // the tracee went away (exited or killed from outside)
  kCancelled,      // stopped on request (SIGTERM to the recorder) before done
};

const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "divergence: event 12: expected write, saw read"
  std::string ToString() const;

  // Prepends context: Status(..., "bad chunk").Wrap("reading trace") gives
  // "reading trace: bad chunk".
  Status Wrap(const std::string& context) const;

  // For callers that deliberately drop an error (e.g. best-effort cleanup).
  void IgnoreError() const {}

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status Error(std::string message) {
  return Status(ErrorCode::kError, std::move(message));
}
// Formats "<what>: <strerror(err)>" with kSystem.
Status SystemError(const std::string& what, int err);
// Same, taking errno.
Status ErrnoError(const std::string& what);

template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Expected(Status status) : v_(std::move(status)) {  // NOLINT
    CHECK(!std::get<Status>(v_).ok(), "an Expected made from an ok Status has no value");
  }

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    CheckOk();
    return std::get<0>(v_);
  }
  const T& value() const& {
    CheckOk();
    return std::get<0>(v_);
  }
  T&& value() && {
    CheckOk();
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  Status status() const { return ok() ? Status() : std::get<1>(v_); }

 private:
  void CheckOk() const { CHECK(ok(), "value of a failed Expected: " + std::get<1>(v_).ToString()); }
  std::variant<T, Status> v_;
};

}  // namespace rwd

#define REWIND_CONCAT_INNER(a, b) a##b
#define REWIND_CONCAT(a, b) REWIND_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                  \
  do {                                         \
    ::rwd::Status _rw_status = (expr);      \
    if (!_rw_status.ok()) return _rw_status;   \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(REWIND_CONCAT(_rw_expected_, __LINE__), lhs, expr)
