// ProbeEncoderFor: which architectures have probe stubs, one row each.
#include "arch/probe_encoder.h"

#include <utility>

#include "arch/aarch64/aarch64_probe.h"
#include "arch/x86_64/x86_64_probe.h"

namespace rwd::arch {

const ProbeEncoder* ProbeEncoderFor(const Arch& arch) {
  static const std::pair<ArchId, const ProbeEncoder*> kEncoders[] = {
      {ArchId::kX86_64, &X86_64ProbeEncoder::Instance()},
      {ArchId::kAArch64, &AArch64ProbeEncoder::Instance()},
  };
  for (const auto& [id, encoder] : kEncoders) {
    if (id == arch.id()) return encoder;
  }
  return nullptr;
}

}  // namespace rwd::arch
