// How the scan stays exact without sweeping everything: a linear sweep is a
// chain of positions, each determined by the bytes at the previous one, and
// steps are at most 15 bytes (the longest instruction; undecodable bytes step
// by 1). So any 15 consecutive bytes past a position the full sweep visits
// contain another position it visits. Start a sweep at each of 15 consecutive
// bytes: sweeps that meet continue identically, and if all 15 have met before
// a candidate, the full sweep runs through the meeting point too, whichever
// of the 15 it actually visited. x86 code resynchronizes within a few
// instructions, so a window of 64 bytes usually suffices; when it does not,
// wider windows are tried, and in the end the scan sweeps from the last
// position known to be on the full sweep.
#include "arch/x86_64/x86_64_trap_scan.h"

#include <capstone/capstone.h>

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "arch/x86_64/x86_64_arch.h"
#include "base/check.h"

namespace rwd::arch {

namespace {

constexpr size_t kMaxInsnBytes = 15;
// Below this distance sweeping from a known position is cheaper than
// resynchronizing (a step costs about as much as one Capstone decode).
constexpr size_t kSweepGap = 512;
constexpr size_t kFirstWindow = 64;

// Byte offsets of 0f c7 followed by a ModRM with mod=11 and reg 6 or 7
// (0xf0-0xff): every rdrand/rdseed encoding contains one, 0-14 bytes after
// its start (prefixes and REX). With `kinds.tsc_reads`, also of rdtsc (0f 31)
// and rdtscp (0f 01 f9), and with `kinds.cpuid` of cpuid (0f a2), which the
// decoder accepts only without prefixes.
std::vector<size_t> Candidates(std::span<const uint8_t> code, TrapScanKinds kinds) {
  std::vector<size_t> found;
  for (size_t i = 0; i + 1 < code.size(); ++i) {
    if (code[i] != 0x0f) continue;
    const uint8_t b1 = code[i + 1];
    const bool random = b1 == 0xc7 && i + 2 < code.size() && code[i + 2] >= 0xf0;
    const bool tsc = kinds.tsc_reads &&
                     (b1 == 0x31 || (b1 == 0x01 && i + 2 < code.size() && code[i + 2] == 0xf9));
    const bool cpuid = kinds.cpuid && b1 == 0xa2;
    if (random || tsc || cpuid) found.push_back(i);
  }
  return found;
}

bool Wanted(TrapInsnKind kind, TrapScanKinds kinds) {
  switch (kind) {
    case TrapInsnKind::kRdrand:
    case TrapInsnKind::kRdseed:
      return true;
    case TrapInsnKind::kRdtsc:
    case TrapInsnKind::kRdtscp:
      return kinds.tsc_reads;
    case TrapInsnKind::kCpuid:
      return kinds.cpuid;
    default:
      return false;
  }
}

// One linear-sweep step at a time over `code`, with an owned Capstone handle.
class Sweeper {
 public:
  struct Step {
    size_t next;
    bool decoded;  // false: undecodable, skipped as one byte
  };

  explicit Sweeper(std::span<const uint8_t> code) : code_(code) {
    CHECK(cs_open(CS_ARCH_X86, CS_MODE_64, &handle_) == CS_ERR_OK, "trap scan: Capstone cs_open");
    insn_ = cs_malloc(handle_);
    CHECK(insn_ != nullptr, "trap scan: Capstone cs_malloc");
  }
  ~Sweeper() {
    cs_free(insn_, 1);
    cs_close(&handle_);
  }
  Sweeper(const Sweeper&) = delete;
  Sweeper& operator=(const Sweeper&) = delete;

  Step At(size_t pos) {
    const uint8_t* bytes = code_.data() + pos;
    size_t left = code_.size() - pos;
    uint64_t address = pos;
    if (!cs_disasm_iter(handle_, &bytes, &left, &address, insn_)) {
      return {pos + 1, false};
    }
    return {pos + insn_->size, true};
  }

 private:
  std::span<const uint8_t> code_;
  csh handle_ = 0;
  cs_insn* insn_ = nullptr;
};

// Sweeps from each of the 15 bytes at `start`; returns the position where
// all of them have met, if that happens before `target`.
std::optional<size_t> MeetingPoint(Sweeper& sweeper, size_t start, size_t target) {
  // Position -> where the sweep through it joins the sweep from `start`.
  std::unordered_map<size_t, size_t> joins;
  for (size_t p = start; p < target; p = sweeper.At(p).next) joins[p] = p;
  size_t meet = start;
  std::vector<size_t> path;
  for (size_t first = start + 1; first < start + kMaxInsnBytes; ++first) {
    path.clear();
    size_t p = first;
    for (; p < target && !joins.contains(p); p = sweeper.At(p).next) path.push_back(p);
    if (p >= target) return std::nullopt;
    const size_t joined_at = joins[p];
    for (size_t q : path) joins[q] = joined_at;
    meet = std::max(meet, joined_at);
  }
  return meet;
}

// A position at or before `target` that the full sweep visits, given one,
// `known`, before it.
size_t Resynchronize(Sweeper& sweeper, size_t known, size_t target) {
  for (size_t window = kFirstWindow; window + kSweepGap < target - known; window *= 4) {
    if (std::optional<size_t> meet = MeetingPoint(sweeper, target - window, target)) {
      return *meet;
    }
  }
  return known;
}

}  // namespace

std::vector<TrapSite> ScanX86_64TrapSites(std::span<const uint8_t> code, uint64_t addr,
                                          TrapScanKinds kinds) {
  std::vector<TrapSite> sites;
  const std::vector<size_t> candidates = Candidates(code, kinds);
  if (candidates.empty()) return sites;

  Sweeper sweeper(code);
  size_t pos = 0;  // always a position the full sweep visits
  for (size_t candidate : candidates) {
    if (candidate < pos) continue;  // already swept past
    const size_t target = candidate >= kMaxInsnBytes - 1 ? candidate - (kMaxInsnBytes - 1) : 0;
    if (target > pos + kSweepGap) pos = Resynchronize(sweeper, pos, target);
    while (pos <= candidate) {
      const Sweeper::Step step = sweeper.At(pos);
      // Our decoder, not Capstone's instruction id, names the instruction:
      // it is the one replay applies, and it follows the CPU on odd prefix
      // combinations. Capstone supplies the instruction boundaries.
      // rdtsc/rdtscp and cpuid are left out unless asked for (the kernel
      // makes them fault where the CPU can).
      if (step.decoded) {
        const size_t length = step.next - pos;
        const TrapInsn insn = X86_64Arch::Instance().DecodeTrapInsn(code.subspan(pos, length));
        if (Wanted(insn.kind, kinds) && insn.length == length) {
          sites.push_back({addr + pos, insn});
        }
      }
      pos = step.next;
    }
  }
  return sites;
}

}  // namespace rwd::arch
