// The baseline (rewind record --cpuid-mask baseline) is x86-64-v2: the
// instruction sets of x86-64 itself (x87, MMX, SSE, SSE2, CMPXCHG8B, CMOV,
// FXSR, CLFLUSH, SYSCALL) and SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT,
// CMPXCHG16B and LAHF/SAHF. Every x86-64 CI runner and laptop of the last
// decade has them. Hidden: AVX, AVX2, FMA, F16C, BMI1/2, LZCNT, MOVBE, the
// AVX-512 and AMX families, AES-NI, PCLMULQDQ, SHA, ADX, TSX and the rest of
// leaf 7, AMD's SSE4A/XOP/FMA4/TBM/CLZERO, and OSXSAVE and XSAVE: without
// OSXSAVE, glibc's and libgcc's dispatch (and OpenSSL's, V8's) never execute
// xgetbv and take the AVX state as unusable, so their ifuncs choose SSE2 to
// SSE4.2 code. Kept as hints that add no instruction: ERMS and FSRM (how fast
// rep movsb is; every x86-64 executes it).
//
// The values are allowlists per feature register: a feature this table does
// not know (a CPU newer than it) is hidden too. Leaf 0xD (the XSAVE area
// sizes) keeps the CPU's values: the kernel still saves the full state in
// signal frames, and code sizing signal stacks from it must see its real
// size. Other leaves (vendor, family and model, caches, topology) say
// nothing a program could execute and keep the CPU's values too.
#include "arch/x86_64/x86_64_cpu_features.h"

#include <string>
#include <string_view>

#include "arch/x86_64/x86_64_arch.h"

namespace rwd::arch {

namespace {

enum class Reg : uint8_t { kEax, kEbx, kEcx, kEdx };

enum class Use : uint8_t {
  kBaseline,  // an instruction set of the baseline: kept, and a replay needs it
  kBeyond,    // an instruction set past it: hidden by the baseline mask
  kHint,      // no instruction a replay could lack (system bits, rep movsb speed)
  kRecorded,  // instructions rewind records instead of executing them in replay
};

// A cpuid feature bit and the name /proc/cpuinfo gives it.
struct Feature {
  std::string_view name;
  uint32_t leaf;
  uint32_t subleaf;
  Reg reg;
  uint8_t bit;
  Use use;
};

constexpr uint32_t kExt = 0x80000001;
constexpr uint32_t kExtSizes = 0x80000008;

constexpr Feature kFeatures[] = {
    {"fpu", 1, 0, Reg::kEdx, 0, Use::kBaseline},
    {"vme", 1, 0, Reg::kEdx, 1, Use::kHint},
    {"de", 1, 0, Reg::kEdx, 2, Use::kHint},
    {"pse", 1, 0, Reg::kEdx, 3, Use::kHint},
    // rdtsc: rewind records its reads.
    {"tsc", 1, 0, Reg::kEdx, 4, Use::kHint},
    {"msr", 1, 0, Reg::kEdx, 5, Use::kHint},
    {"pae", 1, 0, Reg::kEdx, 6, Use::kHint},
    {"mce", 1, 0, Reg::kEdx, 7, Use::kHint},
    {"cx8", 1, 0, Reg::kEdx, 8, Use::kBaseline},
    {"apic", 1, 0, Reg::kEdx, 9, Use::kHint},
    {"sep", 1, 0, Reg::kEdx, 11, Use::kHint},
    {"mtrr", 1, 0, Reg::kEdx, 12, Use::kHint},
    {"pge", 1, 0, Reg::kEdx, 13, Use::kHint},
    {"mca", 1, 0, Reg::kEdx, 14, Use::kHint},
    {"cmov", 1, 0, Reg::kEdx, 15, Use::kBaseline},
    {"pat", 1, 0, Reg::kEdx, 16, Use::kHint},
    {"pse36", 1, 0, Reg::kEdx, 17, Use::kHint},
    {"clflush", 1, 0, Reg::kEdx, 19, Use::kBaseline},
    {"mmx", 1, 0, Reg::kEdx, 23, Use::kBaseline},
    {"fxsr", 1, 0, Reg::kEdx, 24, Use::kBaseline},
    {"sse", 1, 0, Reg::kEdx, 25, Use::kBaseline},
    {"sse2", 1, 0, Reg::kEdx, 26, Use::kBaseline},
    {"ht", 1, 0, Reg::kEdx, 28, Use::kHint},
    {"pni", 1, 0, Reg::kEcx, 0, Use::kBaseline},  // SSE3
    {"pclmulqdq", 1, 0, Reg::kEcx, 1, Use::kBeyond},
    {"ssse3", 1, 0, Reg::kEcx, 9, Use::kBaseline},
    {"fma", 1, 0, Reg::kEcx, 12, Use::kBeyond},
    {"cx16", 1, 0, Reg::kEcx, 13, Use::kBaseline},
    {"sse4_1", 1, 0, Reg::kEcx, 19, Use::kBaseline},
    {"sse4_2", 1, 0, Reg::kEcx, 20, Use::kBaseline},
    {"movbe", 1, 0, Reg::kEcx, 22, Use::kBeyond},
    {"popcnt", 1, 0, Reg::kEcx, 23, Use::kBaseline},
    {"aes", 1, 0, Reg::kEcx, 25, Use::kBeyond},
    {"xsave", 1, 0, Reg::kEcx, 26, Use::kBeyond},
    // OSXSAVE (bit 27) has no /proc/cpuinfo name; hidden with XSAVE.
    {"avx", 1, 0, Reg::kEcx, 28, Use::kBeyond},
    {"f16c", 1, 0, Reg::kEcx, 29, Use::kBeyond},
    {"rdrand", 1, 0, Reg::kEcx, 30, Use::kRecorded},
    {"fsgsbase", 7, 0, Reg::kEbx, 0, Use::kBeyond},
    {"bmi1", 7, 0, Reg::kEbx, 3, Use::kBeyond},
    {"hle", 7, 0, Reg::kEbx, 4, Use::kBeyond},
    {"avx2", 7, 0, Reg::kEbx, 5, Use::kBeyond},
    {"bmi2", 7, 0, Reg::kEbx, 8, Use::kBeyond},
    {"erms", 7, 0, Reg::kEbx, 9, Use::kHint},
    {"rtm", 7, 0, Reg::kEbx, 11, Use::kBeyond},
    {"mpx", 7, 0, Reg::kEbx, 14, Use::kBeyond},
    {"avx512f", 7, 0, Reg::kEbx, 16, Use::kBeyond},
    {"avx512dq", 7, 0, Reg::kEbx, 17, Use::kBeyond},
    {"rdseed", 7, 0, Reg::kEbx, 18, Use::kRecorded},
    {"adx", 7, 0, Reg::kEbx, 19, Use::kBeyond},
    {"avx512ifma", 7, 0, Reg::kEbx, 21, Use::kBeyond},
    {"clflushopt", 7, 0, Reg::kEbx, 23, Use::kBeyond},
    {"clwb", 7, 0, Reg::kEbx, 24, Use::kBeyond},
    {"avx512pf", 7, 0, Reg::kEbx, 26, Use::kBeyond},
    {"avx512er", 7, 0, Reg::kEbx, 27, Use::kBeyond},
    {"avx512cd", 7, 0, Reg::kEbx, 28, Use::kBeyond},
    {"sha_ni", 7, 0, Reg::kEbx, 29, Use::kBeyond},
    {"avx512bw", 7, 0, Reg::kEbx, 30, Use::kBeyond},
    {"avx512vl", 7, 0, Reg::kEbx, 31, Use::kBeyond},
    {"avx512vbmi", 7, 0, Reg::kEcx, 1, Use::kBeyond},
    {"pku", 7, 0, Reg::kEcx, 3, Use::kBeyond},
    {"waitpkg", 7, 0, Reg::kEcx, 5, Use::kBeyond},
    {"avx512_vbmi2", 7, 0, Reg::kEcx, 6, Use::kBeyond},
    {"gfni", 7, 0, Reg::kEcx, 8, Use::kBeyond},
    {"vaes", 7, 0, Reg::kEcx, 9, Use::kBeyond},
    {"vpclmulqdq", 7, 0, Reg::kEcx, 10, Use::kBeyond},
    {"avx512_vnni", 7, 0, Reg::kEcx, 11, Use::kBeyond},
    {"avx512_bitalg", 7, 0, Reg::kEcx, 12, Use::kBeyond},
    {"avx512_vpopcntdq", 7, 0, Reg::kEcx, 14, Use::kBeyond},
    {"rdpid", 7, 0, Reg::kEcx, 22, Use::kBeyond},
    {"movdiri", 7, 0, Reg::kEcx, 27, Use::kBeyond},
    {"movdir64b", 7, 0, Reg::kEcx, 28, Use::kBeyond},
    {"enqcmd", 7, 0, Reg::kEcx, 29, Use::kBeyond},
    {"avx512_4vnniw", 7, 0, Reg::kEdx, 2, Use::kBeyond},
    {"avx512_4fmaps", 7, 0, Reg::kEdx, 3, Use::kBeyond},
    {"fsrm", 7, 0, Reg::kEdx, 4, Use::kHint},
    {"avx512_vp2intersect", 7, 0, Reg::kEdx, 8, Use::kBeyond},
    {"serialize", 7, 0, Reg::kEdx, 14, Use::kBeyond},
    {"tsxldtrk", 7, 0, Reg::kEdx, 16, Use::kBeyond},
    {"amx_bf16", 7, 0, Reg::kEdx, 22, Use::kBeyond},
    {"avx512_fp16", 7, 0, Reg::kEdx, 23, Use::kBeyond},
    {"amx_tile", 7, 0, Reg::kEdx, 24, Use::kBeyond},
    {"amx_int8", 7, 0, Reg::kEdx, 25, Use::kBeyond},
    {"avx_vnni", 7, 1, Reg::kEax, 4, Use::kBeyond},
    {"avx512_bf16", 7, 1, Reg::kEax, 5, Use::kBeyond},
    {"cmpccxadd", 7, 1, Reg::kEax, 7, Use::kBeyond},
    {"amx_fp16", 7, 1, Reg::kEax, 21, Use::kBeyond},
    {"avx_ifma", 7, 1, Reg::kEax, 23, Use::kBeyond},
    // Leaf 0xD keeps the CPU's values, but without OSXSAVE these are unusable.
    {"xsaveopt", 0xd, 1, Reg::kEax, 0, Use::kBeyond},
    {"xsavec", 0xd, 1, Reg::kEax, 1, Use::kBeyond},
    {"xgetbv1", 0xd, 1, Reg::kEax, 2, Use::kBeyond},
    {"xsaves", 0xd, 1, Reg::kEax, 3, Use::kBeyond},
    {"lahf_lm", kExt, 0, Reg::kEcx, 0, Use::kBaseline},
    {"abm", kExt, 0, Reg::kEcx, 5, Use::kBeyond},  // LZCNT
    {"sse4a", kExt, 0, Reg::kEcx, 6, Use::kBeyond},
    {"misalignsse", kExt, 0, Reg::kEcx, 7, Use::kBeyond},
    {"3dnowprefetch", kExt, 0, Reg::kEcx, 8, Use::kBeyond},
    {"xop", kExt, 0, Reg::kEcx, 11, Use::kBeyond},
    {"fma4", kExt, 0, Reg::kEcx, 16, Use::kBeyond},
    {"tbm", kExt, 0, Reg::kEcx, 21, Use::kBeyond},
    {"syscall", kExt, 0, Reg::kEdx, 11, Use::kBaseline},
    {"nx", kExt, 0, Reg::kEdx, 20, Use::kHint},
    {"mmxext", kExt, 0, Reg::kEdx, 22, Use::kBeyond},
    {"fxsr_opt", kExt, 0, Reg::kEdx, 25, Use::kBeyond},
    {"rdtscp", kExt, 0, Reg::kEdx, 27, Use::kRecorded},
    {"lm", kExt, 0, Reg::kEdx, 29, Use::kBaseline},
    {"3dnowext", kExt, 0, Reg::kEdx, 30, Use::kBeyond},
    {"3dnow", kExt, 0, Reg::kEdx, 31, Use::kBeyond},
    {"clzero", kExtSizes, 0, Reg::kEbx, 0, Use::kBeyond},
};

// The feature registers the baseline narrows to an allowlist. AMD repeats
// leaf 1's edx bits 0-9, 12-17, 23 and 24 in leaf 0x80000001's edx; those
// stay as leaf 1 has them.
struct ShapedRegister {
  uint32_t leaf;
  uint32_t subleaf;
  Reg reg;
  uint32_t also_kept;
};
constexpr uint32_t kAmdLeaf1Copies = 0x0183f3ff;
constexpr ShapedRegister kShapedRegisters[] = {
    {1, 0, Reg::kEcx, 0},
    {1, 0, Reg::kEdx, 0},
    {7, 0, Reg::kEbx, 0},
    {7, 0, Reg::kEcx, 0},
    {7, 0, Reg::kEdx, 0},
    {kExt, 0, Reg::kEcx, 0},
    {kExt, 0, Reg::kEdx, kAmdLeaf1Copies},
    {kExtSizes, 0, Reg::kEbx, 0},
};

bool KeptByBaseline(Use use) { return use == Use::kBaseline || use == Use::kHint; }

// Leaves whose ecx input selects a subleaf; the others ignore ecx.
bool HasSubleaves(uint32_t leaf) { return leaf == 7 || leaf == 0xd; }

uint32_t& Word(CpuidResult& r, Reg reg) {
  switch (reg) {
    case Reg::kEax:
      return r.eax;
    case Reg::kEbx:
      return r.ebx;
    case Reg::kEcx:
      return r.ecx;
    case Reg::kEdx:
      break;
  }
  return r.edx;
}

uint32_t BaselineKept(const ShapedRegister& shaped) {
  uint32_t kept = shaped.also_kept;
  for (const Feature& f : kFeatures) {
    if (f.leaf == shaped.leaf && f.subleaf == shaped.subleaf && f.reg == shaped.reg &&
        KeptByBaseline(f.use)) {
      kept |= 1u << f.bit;
    }
  }
  return kept;
}

// Hides the features whose instructions the kernel cannot make fault
// (rdrand, rdseed, rdpid, which reads the CPU number from TSC_AUX), and
// hardware transactional memory, whose aborts depend on timing, so that
// libraries fall back to code rewind records.
void HideUnrecordable(uint32_t leaf, uint32_t subleaf, CpuidResult& r) {
  if (leaf == 1) {
    r.ecx &= ~(1u << 30);  // RDRAND
  } else if (leaf == 7 && subleaf == 0) {
    r.ebx &= ~(1u << 18);  // RDSEED
    r.ebx &= ~(1u << 11);  // RTM
    r.ebx &= ~(1u << 4);   // HLE
    r.ecx &= ~(1u << 22);  // RDPID
  }
}

}  // namespace

void ShapeRecordedCpuid(uint32_t leaf, uint32_t subleaf, CpuidMask mask, CpuidResult& r) {
  if (!HasSubleaves(leaf)) subleaf = 0;
  HideUnrecordable(leaf, subleaf, r);
  if (mask != CpuidMask::kBaseline) return;
  if (leaf == 7) {
    // Subleaf 0's eax is the last subleaf: none past 0, whose features
    // (AVX-VNNI, AVX-512 BF16, ...) are all beyond the baseline.
    if (subleaf != 0) {
      r = CpuidResult{};
      return;
    }
    r.eax = 0;
  }
  for (const ShapedRegister& shaped : kShapedRegisters) {
    if (shaped.leaf == leaf && shaped.subleaf == subleaf) {
      Word(r, shaped.reg) &= BaselineKept(shaped);
    }
  }
}

std::string X86_64UsableCpuFeatures(std::string_view host_features, CpuidMask mask) {
  std::string out;
  size_t pos = 0;
  while (pos < host_features.size()) {
    size_t start = host_features.find_first_not_of(" \t\n", pos);
    if (start == std::string_view::npos) break;
    size_t end = host_features.find_first_of(" \t\n", start);
    if (end == std::string_view::npos) end = host_features.size();
    const std::string_view name = host_features.substr(start, end - start);
    pos = end;
    for (const Feature& f : kFeatures) {
      if (f.name != name) continue;
      if (f.use == Use::kBaseline || (f.use == Use::kBeyond && mask == CpuidMask::kNative)) {
        if (!out.empty()) out += ' ';
        out += name;
      }
      break;
    }
  }
  return out;
}

}  // namespace rwd::arch
