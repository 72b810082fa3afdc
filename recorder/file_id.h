// FileId: an open file's identity, as stat gives it.
#pragma once

#include <sys/types.h>

#include <compare>

namespace rwd::recorder {

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  auto operator<=>(const FileId&) const = default;
};

}  // namespace rwd::recorder
