#include "gdbserver/library_list.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <vector>

#include "gdbserver/hex.h"

namespace rwd::gdbserver {
namespace {

// ELF and <link.h> constants, spelled out so that this file does not depend
// on the host's headers describing the tracee.
constexpr uint64_t kAtNull = 0;
constexpr uint64_t kAtPhdr = 3;
constexpr uint64_t kAtPhent = 4;
constexpr uint64_t kAtPhnum = 5;
constexpr uint32_t kPtDynamic = 2;
constexpr uint32_t kPtPhdr = 6;
constexpr int64_t kDtNull = 0;
constexpr int64_t kDtDebug = 21;

constexpr size_t kPhdrSize = 56;        // Elf64_Phdr
constexpr size_t kPhdrVaddr = 16;
constexpr size_t kPhdrMemsz = 40;
constexpr size_t kDynSize = 16;         // Elf64_Dyn
constexpr size_t kRDebugMap = 8;        // r_debug.r_map (after int r_version + pad)
constexpr size_t kLinkMapSize = 40;     // l_addr, l_name, l_ld, l_next, l_prev
constexpr size_t kMaxPhdrs = 256;
constexpr size_t kMaxDynEntries = 4096;
constexpr size_t kMaxLibraries = 4096;
constexpr size_t kMaxNameLength = 4096;

uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Exactly `len` bytes or nothing: a partial structure is as good as none.
std::optional<std::vector<uint8_t>> ReadExact(DebugTarget& target, uint64_t addr, size_t len) {
  Expected<std::vector<uint8_t>> bytes = target.ReadMemory(addr, len);
  if (!bytes.ok() || bytes->size() < len) return std::nullopt;
  return std::move(*bytes);
}

// NUL-terminated string, read in chunks so that a short mapping at the end
// of the string does not hide it.
std::string ReadString(DebugTarget& target, uint64_t addr) {
  std::string out;
  constexpr size_t kChunk = 256;
  while (out.size() < kMaxNameLength) {
    Expected<std::vector<uint8_t>> bytes = target.ReadMemory(addr + out.size(), kChunk);
    if (!bytes.ok() || bytes->empty()) break;
    for (uint8_t b : *bytes) {
      if (b == 0) return out;
      out.push_back(static_cast<char>(b));
    }
  }
  return out;
}

struct AuxvFacts {
  uint64_t phdr = 0;
  uint64_t phent = kPhdrSize;
  uint64_t phnum = 0;
};

AuxvFacts ParseAuxv(const std::vector<uint8_t>& auxv) {
  AuxvFacts facts;
  for (size_t i = 0; i + 16 <= auxv.size(); i += 16) {
    uint64_t key = Load64(&auxv[i]);
    uint64_t value = Load64(&auxv[i + 8]);
    if (key == kAtNull) break;
    if (key == kAtPhdr) facts.phdr = value;
    if (key == kAtPhent) facts.phent = value;
    if (key == kAtPhnum) facts.phnum = value;
  }
  return facts;
}

// The address of r_debug, or 0 when the executable has none (yet).
uint64_t FindRDebug(DebugTarget& target, const AuxvFacts& facts) {
  if (facts.phdr == 0 || facts.phnum == 0 || facts.phnum > kMaxPhdrs ||
      facts.phent < kPhdrSize || facts.phent > 4 * kPhdrSize) {
    return 0;
  }
  auto phdrs = ReadExact(target, facts.phdr, facts.phent * facts.phnum);
  if (!phdrs) return 0;
  std::optional<uint64_t> phdr_vaddr;
  std::optional<uint64_t> dynamic_vaddr;
  uint64_t dynamic_size = 0;
  for (size_t i = 0; i < facts.phnum; ++i) {
    const uint8_t* ph = phdrs->data() + i * facts.phent;
    uint32_t type = Load32(ph);
    if (type == kPtPhdr) phdr_vaddr = Load64(ph + kPhdrVaddr);
    if (type == kPtDynamic) {
      dynamic_vaddr = Load64(ph + kPhdrVaddr);
      dynamic_size = Load64(ph + kPhdrMemsz);
    }
  }
  if (!dynamic_vaddr) return 0;  // static executable
  // A position-independent executable is loaded at a bias: where its
  // program headers are versus where they said they would be.
  uint64_t bias = phdr_vaddr ? facts.phdr - *phdr_vaddr : 0;
  uint64_t dynamic = *dynamic_vaddr + bias;
  size_t entries = std::min<uint64_t>(dynamic_size / kDynSize, kMaxDynEntries);
  // Whatever part of the section is readable: DT_DEBUG usually comes early.
  Expected<std::vector<uint8_t>> dyn = target.ReadMemory(dynamic, entries * kDynSize);
  if (!dyn.ok()) return 0;
  entries = std::min(entries, dyn->size() / kDynSize);
  for (size_t i = 0; i < entries; ++i) {
    int64_t tag = static_cast<int64_t>(Load64(&(*dyn)[i * kDynSize]));
    if (tag == kDtNull) break;
    if (tag == kDtDebug) return Load64(&(*dyn)[i * kDynSize + 8]);
  }
  return 0;
}

std::string Hex0x(uint64_t value) { return "0x" + HexNumber(value); }

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c); break;
    }
  }
  return out;
}

Expected<std::string> BuildLibraryListSvr4(DebugTarget& target) {
  const std::string kEmpty = "<library-list-svr4 version=\"1.0\"/>";
  Expected<std::vector<uint8_t>> auxv = target.Auxv();
  if (!auxv.ok()) return auxv.status().Wrap("reading auxv for the library list");
  uint64_t r_debug = FindRDebug(target, ParseAuxv(*auxv));
  if (r_debug == 0) return kEmpty;
  auto r_map = ReadExact(target, r_debug + kRDebugMap, 8);
  if (!r_map) return kEmpty;

  std::string libraries;
  std::string main_lm;
  std::set<uint64_t> seen;
  uint64_t lm = Load64(r_map->data());
  while (lm != 0 && seen.size() < kMaxLibraries && seen.insert(lm).second) {
    auto entry = ReadExact(target, lm, kLinkMapSize);
    if (!entry) break;
    uint64_t l_addr = Load64(entry->data());
    uint64_t l_name = Load64(entry->data() + 8);
    uint64_t l_ld = Load64(entry->data() + 16);
    if (main_lm.empty()) {
      main_lm = Hex0x(lm);  // the executable itself
    } else {
      std::string name = l_name ? ReadString(target, l_name) : "";
      if (!name.empty()) {
        libraries += "<library name=\"" + XmlEscape(name) + "\" lm=\"" + Hex0x(lm) +
                     "\" l_addr=\"" + Hex0x(l_addr) + "\" l_ld=\"" + Hex0x(l_ld) +
                     "\" lmid=\"0x0\"/>";
      }
    }
    lm = Load64(entry->data() + 24);
  }
  if (main_lm.empty()) return kEmpty;
  return "<library-list-svr4 version=\"1.0\" main-lm=\"" + main_lm + "\">" + libraries +
         "</library-list-svr4>";
}

}  // namespace rwd::gdbserver
