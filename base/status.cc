#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace rwd {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kError: return "error";
    case ErrorCode::kSystem: return "system error";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kInvalidInput: return "invalid input";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kCorrupt: return "corrupt trace";
    case ErrorCode::kVersion: return "version mismatch";
    case ErrorCode::kTruncated: return "truncated trace";
    case ErrorCode::kDivergence: return "replay divergence";
    case ErrorCode::kTraceeExited: return "tracee exited";
    case ErrorCode::kCancelled: return "cancelled";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(ErrorCodeName(code_)) + ": " + message_;
}

Status Status::Wrap(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

Status SystemError(const std::string& what, int err) {
  return Status(ErrorCode::kSystem, what + ": " + std::strerror(err));
}

Status ErrnoError(const std::string& what) { return SystemError(what, errno); }

}  // namespace rwd
