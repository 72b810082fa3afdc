#include "gdbserver/register_writer.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gdbserver/hex.h"

namespace rwd::gdbserver {
namespace {

size_t SizeOf(const arch::GdbRegister& reg) { return (reg.bitsize + 7u) / 8u; }

// The register sources of one thread, changed in place, then written back.
class RegisterSink {
 public:
  RegisterSink(DebugTarget& target, int tid) : target_(target), tid_(tid) {}

  Status Apply(const arch::GdbRegister& reg, std::string_view hex) {
    if (reg.source == arch::RegSource::kZero || reg.syscall_restart) return Status::Ok();
    if (hex.find_first_of("xX") != std::string_view::npos) return Status::Ok();
    std::optional<std::string> value = HexDecode(hex);
    if (!value || value->size() != SizeOf(reg)) {
      return Status(ErrorCode::kInvalidInput,
                    "bad value '" + std::string(hex) + "' for register " + std::string(reg.name));
    }
    std::span<uint8_t> dest;
    if (reg.source == arch::RegSource::kGp) {
      RETURN_IF_ERROR(FetchGp());
      dest = std::span<uint8_t>(gp_->data(), std::min(target_.register_description().gp_regs_size,
                                                      arch::Registers::capacity_bytes()));
    } else {
      RETURN_IF_ERROR(FetchFp());
      dest = std::span<uint8_t>(fp_->data(), fp_->size());
    }
    // A field narrower than gdb's register keeps its own width.
    size_t stored = reg.source_bytes != 0 ? std::min<size_t>(reg.source_bytes, value->size())
                                          : value->size();
    if (reg.offset > dest.size() || stored > dest.size() - reg.offset) {
      return Status(ErrorCode::kUnsupported,
                    "register " + std::string(reg.name) + " cannot be written here");
    }
    uint8_t* at = dest.data() + reg.offset;
    if (std::memcmp(at, value->data(), stored) == 0) return Status::Ok();
    std::memcpy(at, value->data(), stored);
    (reg.source == arch::RegSource::kGp ? gp_changed_ : fp_changed_) = true;
    return Status::Ok();
  }

  Status Commit() {
    if (gp_changed_) RETURN_IF_ERROR(target_.SetRegisters(tid_, *gp_));
    if (fp_changed_) RETURN_IF_ERROR(target_.SetFpRegisters(tid_, *fp_));
    return Status::Ok();
  }

 private:
  Status FetchGp() {
    if (gp_) return Status::Ok();
    ASSIGN_OR_RETURN(arch::Registers regs, target_.GetRegisters(tid_));
    gp_ = regs;
    return Status::Ok();
  }
  Status FetchFp() {
    if (fp_) return Status::Ok();
    ASSIGN_OR_RETURN(std::vector<uint8_t> fp, target_.GetFpRegisters(tid_));
    fp_ = std::move(fp);
    return Status::Ok();
  }

  DebugTarget& target_;
  int tid_;
  std::optional<arch::Registers> gp_;
  std::optional<std::vector<uint8_t>> fp_;
  bool gp_changed_ = false;
  bool fp_changed_ = false;
};

}  // namespace

Status WriteAllRegisters(DebugTarget& target, int tid, std::string_view hex) {
  RegisterSink sink(target, tid);
  size_t at = 0;
  for (const arch::GdbRegister& reg : target.register_description().gdb_registers) {
    size_t chars = SizeOf(reg) * 2;
    // gdb may send fewer registers than the description has: the rest stay.
    if (at + chars > hex.size()) break;
    RETURN_IF_ERROR(sink.Apply(reg, hex.substr(at, chars)));
    at += chars;
  }
  if (at != hex.size()) {
    return Status(ErrorCode::kInvalidInput, "a G packet of " + std::to_string(hex.size()) +
                                                " hex digits does not end at a register's end");
  }
  return sink.Commit();
}

Status WriteRegister(DebugTarget& target, int tid, uint64_t number, std::string_view hex) {
  std::span<const arch::GdbRegister> table = target.register_description().gdb_registers;
  if (number >= table.size()) {
    return Status(ErrorCode::kInvalidInput, "no register number " + std::to_string(number) +
                                                " on " + std::string(target.register_description().name));
  }
  RegisterSink sink(target, tid);
  RETURN_IF_ERROR(sink.Apply(table[number], hex));
  return sink.Commit();
}

}  // namespace rwd::gdbserver
