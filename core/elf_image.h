// ElfImage: just enough ELF64 parsing to find dynamic symbols in an image
// held in memory (the vDSO as read from a tracee). Both supported
// architectures are little-endian ELF64, so this is architecture-neutral.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace rwd {

class ElfImage {
 public:
  explicit ElfImage(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  bool Valid() const;
  // Offset of `name` from the image's load base, from .dynsym.
  std::optional<uint64_t> SymbolOffset(std::string_view name) const;

 private:
  std::span<const uint8_t> bytes_;
};

}  // namespace rwd
