// ProbeEncoder: the checks every architecture's probes share, and
// ProbeEncoderFor: which architectures have probe stubs, one row each.
#include "arch/probe_encoder.h"

#include <utility>

#include "arch/aarch64/aarch64_probe.h"
#include "arch/x86_64/x86_64_probe.h"
#include "base/hex.h"

namespace rwd::arch {

std::string ProbeEncoder::Unplanned(const ProbeSite& site) const {
  if (!site.refusal.empty()) return site.refusal;
  if (site.original.size() < d_.patch_bytes) return "probe site " + Hex(site.pc) + " was not planned";
  return "";
}

ProbeCode ProbeEncoder::Build(const ProbeSite& site, const Registers& target, uint64_t code_addr,
                              uint64_t data_addr, std::optional<ProbeMemCheck> mem,
                              bool count_passes, std::span<const uint8_t> vectors) const {
  ProbeCode out;
  out.refusal = Unplanned(site);
  if (out.refusal.empty() && count_passes && !counts_passes()) {
    out.refusal = std::string(d_.pass_count_refusal);
  }
  if (!out.refusal.empty()) return out;
  return d_.build(site, target, code_addr, data_addr, mem, count_passes, vectors);
}

ProbeCode ProbeEncoder::BuildCountdown(const ProbeSite& site, uint64_t passes, uint64_t code_addr,
                                       uint64_t data_addr) const {
  ProbeCode out;
  out.refusal = Unplanned(site);
  if (out.refusal.empty() && !counts_passes()) out.refusal = std::string(d_.pass_count_refusal);
  if (out.refusal.empty() && passes == 0) out.refusal = "a countdown probe needs at least one pass";
  if (!out.refusal.empty()) return out;
  return d_.build_countdown(site, passes, code_addr, data_addr);
}

const ProbeEncoder* ProbeEncoderFor(const Arch& arch) {
  static const ProbeEncoder x86_64(kX86_64ProbeEncoder);
  static const ProbeEncoder aarch64(kAArch64ProbeEncoder);
  static const std::pair<ArchId, const ProbeEncoder*> kEncoders[] = {
      {ArchId::kX86_64, &x86_64},
      {ArchId::kAArch64, &aarch64},
  };
  for (const auto& [id, encoder] : kEncoders) {
    if (id == arch.id()) return encoder;
  }
  return nullptr;
}

}  // namespace rwd::arch
