// Arch: what every architecture does alike, driven by its ArchDescription;
// and HostArch, ArchFor, ArchByName: the registry of architecture backends
// this build contains, the only place that maps the compiler's target to a
// backend. Every build contains every backend: traces and tables of any
// architecture can be inspected (and unit-tested) anywhere; only replay needs
// the host's.
#include "arch/arch.h"

#include <cinttypes>
#include <cstdio>
#include <map>
#include <utility>

#include "arch/aarch64/aarch64_arch.h"
#include "arch/capstone_text.h"
#include "arch/x86_64/x86_64_arch.h"
#include "base/check.h"

namespace rwd::arch {

Arch::Arch(ArchDescription description, SyscallTable syscalls, const ArchHost& host)
    : desc_(std::move(description)), syscalls_(std::move(syscalls)), host_(host) {
  CHECK(desc_.usable_cpu_features != nullptr && desc_.vector_register_values != nullptr,
        std::string(name()) + "'s description lacks a function");
}

uint64_t Arch::Pc(const Registers& r) const { return r.Word(desc_.pc_word); }
void Arch::SetPc(Registers& r, uint64_t pc) const { r.SetWord(desc_.pc_word, pc); }
uint64_t Arch::Sp(const Registers& r) const { return r.Word(desc_.sp_word); }

int64_t Arch::SyscallNumber(const Registers& r) const {
  return static_cast<int64_t>(r.Word(desc_.syscall_number_word));
}
void Arch::SetSyscallNumber(Registers& r, int64_t nr) const {
  r.SetWord(desc_.syscall_number_word, static_cast<uint64_t>(nr));
}

uint64_t Arch::SyscallArg(const Registers& r, int i) const {
  CHECK(i >= 0 && i < 6, "syscall argument " + std::to_string(i));
  return r.Word(desc_.syscall_arg_words[i]);
}
void Arch::SetSyscallArg(Registers& r, int i, uint64_t v) const {
  CHECK(i >= 0 && i < 6, "syscall argument " + std::to_string(i));
  r.SetWord(desc_.syscall_arg_words[i], v);
}

int64_t Arch::SyscallResult(const Registers& r) const {
  return static_cast<int64_t>(r.Word(desc_.syscall_result_word));
}
void Arch::SetSyscallResult(Registers& r, int64_t v) const {
  r.SetWord(desc_.syscall_result_word, static_cast<uint64_t>(v));
}
uint64_t Arch::FunctionResult(const Registers& r) const {
  return r.Word(desc_.function_result_word);
}

// Stops report pc after the syscall instruction. x86-64 has also overwritten
// rax (with -ENOSYS at entry, the result at exit) and keeps the number in
// orig_rax; AArch64's x8 still holds it, so copying it changes nothing there.
void Arch::RewindToSyscallInsn(Registers& r) const {
  SetPc(r, Pc(r) - desc_.syscall_insn.size());
  r.SetWord(desc_.syscall_insn_number_word, r.Word(desc_.syscall_number_word));
}

void Arch::SetupSyscall(Registers& r, uint64_t insn_addr, int64_t nr,
                        std::span<const uint64_t, 6> args) const {
  SetPc(r, insn_addr);
  r.SetWord(desc_.syscall_insn_number_word, static_cast<uint64_t>(nr));
  if (desc_.syscall_number_word != desc_.syscall_insn_number_word) {
    r.SetWord(desc_.syscall_number_word, static_cast<uint64_t>(-1));
  }
  for (int i = 0; i < 6; ++i) r.SetWord(desc_.syscall_arg_words[i], args[i]);
}

void Arch::ClearStopArtifacts(Registers& r) const {
  for (uint8_t word : desc_.syscall_stop_clobbered_words) r.SetWord(word, 0);
  for (const WordBits& a : desc_.stop_artifacts) r.SetWord(a.word, r.Word(a.word) & ~a.bits);
  for (uint8_t word : desc_.kernel_words) r.SetWord(word, ~uint64_t{0});
}

bool Arch::SameProgramState(const Registers& a, const Registers& b) const {
  Registers x = a;
  Registers y = b;
  ClearStopArtifacts(x);
  ClearStopArtifacts(y);
  for (size_t i = 0; i < gp_regs_size() / 8; ++i) {
    if (x.Word(i) != y.Word(i)) return false;
  }
  return true;
}

bool Arch::SameValues(const Registers& a, const Registers& b) const {
  Registers x = a;
  Registers y = b;
  for (const WordBits& f : desc_.condition_flags) {
    x.SetWord(f.word, x.Word(f.word) & ~f.bits);
    y.SetWord(f.word, y.Word(f.word) & ~f.bits);
  }
  return SameProgramState(x, y);
}

std::string Arch::DescribeRegisters(const Registers& r) const {
  std::string out;
  for (const auto& [reg_name, word] : desc_.describe_order) {
    char buf[48];
    std::snprintf(buf, sizeof(buf), "%s%.*s=0x%" PRIx64, out.empty() ? "" : " ",
                  static_cast<int>(reg_name.size()), reg_name.data(), r.Word(word));
    out += buf;
  }
  return out;
}

std::string Arch::DisassembleInsn(std::span<const uint8_t> code, uint64_t addr) const {
  return CapstoneInsnText(*desc_.disassembler, code, addr);
}

std::vector<DecodedInsn> Arch::Disassemble(std::span<const uint8_t> code, uint64_t addr,
                                           size_t max_count) const {
  return CapstoneDisassemble(*desc_.disassembler, code, addr, max_count);
}

std::optional<DecodedInsn> Arch::InsnFallingInto(std::span<const uint8_t> code,
                                                 uint64_t pc) const {
  const uint64_t base = pc - code.size();
  std::map<uint64_t, std::pair<int, DecodedInsn>> votes;  // start -> votes, instruction
  for (size_t start = 0; start < code.size(); ++start) {
    std::vector<DecodedInsn> insns = Disassemble(code.subspan(start), base + start, code.size());
    if (insns.empty() || insns.back().addr + insns.back().length != pc) continue;
    auto& [count, insn] = votes[insns.back().addr];
    ++count;
    insn = insns.back();
  }
  const std::pair<int, DecodedInsn>* best = nullptr;
  for (const auto& [addr, vote] : votes) {
    if (!best || vote.first > best->first) best = &vote;
  }
  if (!best || !best->second.falls_through) return std::nullopt;
  return best->second;
}

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
