#include "gdbserver/register_encoder.h"

#include <algorithm>
#include <optional>
#include <span>
#include <vector>

#include "gdbserver/hex.h"

namespace rwd::gdbserver {
namespace {

// The register sources of one thread, fetched only when needed.
class RegisterSources {
 public:
  RegisterSources(DebugTarget& target, int tid) : target_(target), tid_(tid) {}

  Status FetchGp() {
    Expected<arch::Registers> regs = target_.GetRegisters(tid_);
    if (!regs.ok()) return regs.status();
    gp_ = *regs;
    return Status::Ok();
  }

  std::string Encode(const arch::GdbRegister& reg) {
    size_t size = (reg.bitsize + 7u) / 8u;
    std::span<const uint8_t> source;
    switch (reg.source) {
      case arch::RegSource::kZero:
        return std::string(size * 2, '0');
      case arch::RegSource::kGp: {
        size_t limit = std::min(target_.register_description().gp_regs_size, arch::Registers::capacity_bytes());
        if (gp_) source = std::span<const uint8_t>(gp_->data(), limit);
        break;
      }
      case arch::RegSource::kFp:
        if (!fp_fetched_) {
          fp_fetched_ = true;
          Expected<std::vector<uint8_t>> fp = target_.GetFpRegisters(tid_);
          if (fp.ok()) fp_ = std::move(*fp);
        }
        source = fp_;
        break;
    }
    // A field narrower than gdb's register (x87 control words) is widened
    // with zeros, as the kernel's user_fpregs_struct would show it.
    size_t stored = reg.source_bytes != 0 ? std::min<size_t>(reg.source_bytes, size) : size;
    if (reg.offset > source.size() || stored > source.size() - reg.offset) {
      return std::string(size * 2, 'x');
    }
    return HexEncode(source.subspan(reg.offset, stored)) + std::string((size - stored) * 2, '0');
  }

 private:
  DebugTarget& target_;
  int tid_;
  std::optional<arch::Registers> gp_;
  bool fp_fetched_ = false;
  std::vector<uint8_t> fp_;
};

}  // namespace

Expected<std::string> EncodeAllRegisters(DebugTarget& target, int tid) {
  RegisterSources sources(target, tid);
  RETURN_IF_ERROR(sources.FetchGp());
  std::string out;
  for (const arch::GdbRegister& reg : target.register_description().gdb_registers) out += sources.Encode(reg);
  return out;
}

Expected<std::string> EncodeRegister(DebugTarget& target, int tid, uint64_t number) {
  std::span<const arch::GdbRegister> table = target.register_description().gdb_registers;
  if (number >= table.size()) {
    return Status(ErrorCode::kInvalidInput,
                  "no register number " + std::to_string(number) + " on " +
                      std::string(target.register_description().name));
  }
  const arch::GdbRegister& reg = table[number];
  RegisterSources sources(target, tid);
  if (reg.source == arch::RegSource::kGp) RETURN_IF_ERROR(sources.FetchGp());
  return sources.Encode(reg);
}

}  // namespace rwd::gdbserver
