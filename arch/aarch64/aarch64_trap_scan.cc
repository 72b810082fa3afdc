#include "arch/aarch64/aarch64_trap_scan.h"

#include <capstone/capstone.h>

#include <cinttypes>
#include <cstdio>
#include <optional>

#include "arch/aarch64/aarch64_arch.h"
#include "base/check.h"

namespace rwd::arch {

namespace {

uint32_t WordAt(std::span<const uint8_t> code, size_t off) {
  return static_cast<uint32_t>(code[off]) | static_cast<uint32_t>(code[off + 1]) << 8 |
         static_cast<uint32_t>(code[off + 2]) << 16 | static_cast<uint32_t>(code[off + 3]) << 24;
}

bool IsPmuCounterRead(uint32_t word) {
  const uint32_t mrs = word & a64::kMrsMask;
  return mrs == a64::kMrsPmccntr || mrs == a64::kMrsPmxevcntr ||
         (mrs >= a64::kMrsPmevcntrFirst && mrs <= a64::kMrsPmevcntrLast);
}

// An owned Capstone handle that says whether 4 bytes decode as mrs.
class MrsChecker {
 public:
  MrsChecker() {
    CHECK(cs_open(CS_ARCH_ARM64, CS_MODE_LITTLE_ENDIAN, &handle_) == CS_ERR_OK,
          "trap scan: Capstone cs_open");
  }
  ~MrsChecker() { cs_close(&handle_); }
  MrsChecker(const MrsChecker&) = delete;
  MrsChecker& operator=(const MrsChecker&) = delete;

  bool IsMrs(const uint8_t* bytes, uint64_t address) {
    cs_insn* insn = nullptr;
    const size_t n = cs_disasm(handle_, bytes, kA64InsnBytes, address, 1, &insn);
    const bool mrs = n == 1 && insn[0].id == ARM64_INS_MRS;
    if (n > 0) cs_free(insn, n);
    return mrs;
  }

 private:
  csh handle_ = 0;
};

}  // namespace

std::vector<TrapSite> ScanAArch64TrapSites(std::span<const uint8_t> code, uint64_t addr) {
  std::vector<TrapSite> sites;
  const AArch64Arch& arch = AArch64Arch::Instance();
  // Lazily opened: most code has no candidate at all.
  std::optional<MrsChecker> checker;
  size_t first = (kA64InsnBytes - addr % kA64InsnBytes) % kA64InsnBytes;
  for (size_t off = first; off + kA64InsnBytes <= code.size(); off += kA64InsnBytes) {
    const uint32_t word = WordAt(code, off);
    const std::span<const uint8_t> bytes = code.subspan(off, kA64InsnBytes);
    const TrapInsn insn = arch.DecodeTrapInsn(bytes);
    const bool pmu = IsPmuCounterRead(word);
    if (insn.kind == TrapInsnKind::kNone && !pmu) continue;
    if (!checker) checker.emplace();
    if (!checker->IsMrs(bytes.data(), addr + off)) {
      std::fprintf(stderr,
                   "rewind: warning: the word 0x%08x at 0x%" PRIx64
                   " looks like a counter read but Capstone does not decode it as mrs; "
                   "left unpatched\n",
                   word, addr + off);
      continue;
    }
    if (pmu) {
      std::fprintf(stderr,
                   "rewind: warning: the code at 0x%" PRIx64
                   " reads a PMU counter (mrs 0x%08x); the tracer cannot know the value, "
                   "so a replay that depends on it may diverge\n",
                   addr + off, word);
      continue;
    }
    sites.push_back({addr + off, insn});
  }
  return sites;
}

}  // namespace rwd::arch
