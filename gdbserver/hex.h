// Hex helpers for the gdb remote protocol: numbers and byte strings are sent
// as lower-case hex text. Pure functions; never abort on bad input.
//
// Parsing is strict because everything parsed here comes from a peer: empty
// fields, stray characters and values that do not fit are rejected rather
// than read as zero or truncated.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rwd::gdbserver {

// "ab12" -> 0xab12. nullopt when empty, not all hex digits, or > 64 bits.
std::optional<uint64_t> ParseHexU64(std::string_view text);
// Signed form used for thread ids and fds: an optional leading '-'.
std::optional<int64_t> ParseHexI64(std::string_view text);

// Two lower-case digits per byte.
std::string HexEncode(std::span<const uint8_t> bytes);
std::string HexEncode(std::string_view text);
// nullopt on odd length or a non-hex digit.
std::optional<std::string> HexDecode(std::string_view hex);

// Lower-case hex without leading zeros ("0" for zero).
std::string HexNumber(uint64_t value);

}  // namespace rwd::gdbserver
