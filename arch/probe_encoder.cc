// ProbeEncoderFor: which architectures have probe stubs. One row per
// architecture that has an encoder; AArch64 has none yet (its fixed 4-byte
// instructions make the patch simpler, but the trampoline, which must
// compare without flags or a free register, is still to be written).
#include "arch/probe_encoder.h"

#include <utility>

#include "arch/x86_64/x86_64_probe.h"

namespace rwd::arch {

const ProbeEncoder* ProbeEncoderFor(const Arch& arch) {
  static const std::pair<ArchId, const ProbeEncoder*> kEncoders[] = {
      {ArchId::kX86_64, &X86_64ProbeEncoder::Instance()},
  };
  for (const auto& [id, encoder] : kEncoders) {
    if (id == arch.id()) return encoder;
  }
  return nullptr;
}

}  // namespace rwd::arch
