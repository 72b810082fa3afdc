// HostArch, ArchFor, ArchByName: the registry of architecture backends this
// build contains. The only place that maps the compiler's target to a backend.
// Every build contains every backend: traces and tables of any architecture
// can be inspected (and unit-tested) anywhere; only replay needs the host's.
#include "arch/arch.h"

#include "arch/aarch64/aarch64_arch.h"
#include "arch/x86_64/x86_64_arch.h"

namespace rwd::arch {

const Arch& HostArch() {
#if defined(__x86_64__)
  return X86_64Arch::Instance();
#elif defined(__aarch64__)
  return AArch64Arch::Instance();
#else
#error "rewind has no arch/ backend for this host architecture"
#endif
}

const Arch* ArchFor(ArchId id) {
  switch (id) {
    case ArchId::kX86_64:
      return &X86_64Arch::Instance();
    case ArchId::kAArch64:
      return &AArch64Arch::Instance();
  }
  return nullptr;
}

const Arch* ArchByName(std::string_view name) {
  for (ArchId id : {ArchId::kX86_64, ArchId::kAArch64}) {
    const Arch* arch = ArchFor(id);
    if (arch != nullptr && arch->name() == name) return arch;
  }
  return nullptr;
}

std::string_view CpuidMaskName(CpuidMask mask) {
  return mask == CpuidMask::kBaseline ? "baseline" : "native";
}

std::optional<CpuidMask> ParseCpuidMask(std::string_view name) {
  for (CpuidMask mask : {CpuidMask::kNative, CpuidMask::kBaseline}) {
    if (CpuidMaskName(mask) == name) return mask;
  }
  return std::nullopt;
}

}  // namespace rwd::arch
