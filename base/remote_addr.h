// RemoteAddr: an address in a traced process's memory, never in ours.
//
// Tracee addresses and the replayer's own pointers are both 64-bit numbers;
// a RemoteAddr cannot be dereferenced, passed where a plain integer is meant
// or made from one without saying so (explicit constructor, value()).
// Offsets and distances are plain integers.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "base/hex.h"

namespace rwd {

class RemoteAddr {
 public:
  constexpr RemoteAddr() = default;
  constexpr explicit RemoteAddr(uint64_t value) : value_(value) {}

  constexpr uint64_t value() const { return value_; }
  constexpr bool is_null() const { return value_ == 0; }

  constexpr RemoteAddr operator+(uint64_t offset) const { return RemoteAddr(value_ + offset); }
  constexpr RemoteAddr operator-(uint64_t offset) const { return RemoteAddr(value_ - offset); }
  RemoteAddr& operator+=(uint64_t offset) {
    value_ += offset;
    return *this;
  }
  // How far `this` lies past `start`.
  constexpr uint64_t operator-(RemoteAddr start) const { return value_ - start.value_; }
  constexpr auto operator<=>(const RemoteAddr&) const = default;

 private:
  uint64_t value_ = 0;
};

inline std::string Hex(RemoteAddr addr) { return Hex(addr.value()); }

}  // namespace rwd
