// X86_64Arch::StatesCallingInto: which instruction ran just before a
// function's first instruction, told from the return address the call left
// at sp. Reverse execution asks it at a function's entry after a long
// stretch without events, where stepping forward from the previous visit of
// the entry would take millions of steps (replayer/timeline_positions.cc).
//
// x86 code cannot be decoded backwards: the bytes before the return address
// are tried as calls of every length, and only a call whose destination,
// evaluated with the registers and memory as they are now, is the function
// (directly, or through a stub's jump such as a PLT entry) is kept. A call
// changes no register but rsp and rip, and a jump only rip, so the state
// before either is known exactly.
#include <capstone/capstone.h>

#include <cstring>

#include "arch/x86_64/x86_64_arch.h"
#include "base/check.h"

namespace rwd::arch {

namespace {

// The longest x86 instruction.
constexpr size_t kMaxInsnBytes = 15;
// Instructions of a stub to look through for its jump (PLT entries:
// endbr64, then bnd jmp; or jmp first).
constexpr size_t kStubInsns = 3;

std::optional<uint64_t> Word64(const Arch::MemoryReader& read, uint64_t addr) {
  std::optional<std::vector<uint8_t>> bytes = read(addr, 8);
  if (!bytes || bytes->size() != 8) return std::nullopt;
  uint64_t v;
  std::memcpy(&v, bytes->data(), 8);
  return v;
}

// The Registers word of a 64-bit general register Capstone names; nullopt
// for others (a call through a 32-bit register does not occur in 64-bit code).
std::optional<size_t> WordOf(x86_reg reg) {
  switch (reg) {
    case X86_REG_RAX:
      return kX86Rax;
    case X86_REG_RBX:
      return kX86Rbx;
    case X86_REG_RCX:
      return kX86Rcx;
    case X86_REG_RDX:
      return kX86Rdx;
    case X86_REG_RSI:
      return kX86Rsi;
    case X86_REG_RDI:
      return kX86Rdi;
    case X86_REG_RBP:
      return kX86Rbp;
    case X86_REG_RSP:
      return kX86Rsp;
    case X86_REG_R8:
      return kX86R8;
    case X86_REG_R9:
      return kX86R9;
    case X86_REG_R10:
      return kX86R10;
    case X86_REG_R11:
      return kX86R11;
    case X86_REG_R12:
      return kX86R12;
    case X86_REG_R13:
      return kX86R13;
    case X86_REG_R14:
      return kX86R14;
    case X86_REG_R15:
      return kX86R15;
    default:
      return std::nullopt;
  }
}

// One instruction with operand details; a handle per use keeps it
// thread-safe (this runs once per reverse step, not per instruction).
class DetailDecoder {
 public:
  DetailDecoder() {
    CHECK(cs_open(CS_ARCH_X86, CS_MODE_64, &handle_) == CS_ERR_OK &&
              cs_option(handle_, CS_OPT_DETAIL, CS_OPT_ON) == CS_ERR_OK,
          "x86_64 call path: Capstone cs_open");
    insn_ = cs_malloc(handle_);
  }
  ~DetailDecoder() {
    cs_free(insn_, 1);
    cs_close(&handle_);
  }
  DetailDecoder(const DetailDecoder&) = delete;
  DetailDecoder& operator=(const DetailDecoder&) = delete;

  // The instruction at the start of `code`, mapped at `addr`.
  const cs_insn* At(std::span<const uint8_t> code, uint64_t addr) {
    const uint8_t* bytes = code.data();
    size_t left = code.size();
    uint64_t address = addr;
    if (left == 0 || !cs_disasm_iter(handle_, &bytes, &left, &address, insn_)) return nullptr;
    return insn_;
  }
  bool InGroup(const cs_insn* insn, uint8_t group) const {
    return cs_insn_group(handle_, insn, group);
  }

 private:
  csh handle_ = 0;
  cs_insn* insn_ = nullptr;
};

// Where the call or jump `insn` goes, with `regs` as its registers (the
// ones it does not change) and memory as it is now.
std::optional<uint64_t> Destination(const cs_insn& insn, const Registers& regs,
                                    const Arch::MemoryReader& read) {
  const cs_x86& x86 = insn.detail->x86;
  if (x86.op_count != 1) return std::nullopt;
  const cs_x86_op& op = x86.operands[0];
  switch (op.type) {
    case X86_OP_IMM:
      return static_cast<uint64_t>(op.imm);
    case X86_OP_REG: {
      std::optional<size_t> word = WordOf(op.reg);
      if (!word) return std::nullopt;
      return regs.Word(*word);
    }
    case X86_OP_MEM: {
      if (op.mem.segment != X86_REG_INVALID || op.size != 8) return std::nullopt;
      uint64_t addr = static_cast<uint64_t>(op.mem.disp);
      if (op.mem.base == X86_REG_RIP) {
        addr += insn.address + insn.size;
      } else if (op.mem.base != X86_REG_INVALID) {
        std::optional<size_t> base = WordOf(op.mem.base);
        if (!base) return std::nullopt;
        addr += regs.Word(*base);
      }
      if (op.mem.index != X86_REG_INVALID) {
        std::optional<size_t> index = WordOf(op.mem.index);
        if (!index) return std::nullopt;
        addr += regs.Word(*index) * static_cast<uint64_t>(op.mem.scale);
      }
      return Word64(read, addr);
    }
    default:
      return std::nullopt;
  }
}

// Whether the call or jump `insn` goes to `entry`. The registers are named
// as positions name them, r11's trap flag cleared (Arch::ClearStopArtifacts):
// a jump through r11 (the resolver's) to an address with bit 8 set matches
// without it.
bool GoesTo(const cs_insn& insn, const Registers& regs, const Arch::MemoryReader& read,
            uint64_t entry) {
  std::optional<uint64_t> to = Destination(insn, regs, read);
  if (!to) return false;
  const cs_x86& x86 = insn.detail->x86;
  const bool through_r11 =
      x86.op_count == 1 && x86.operands[0].type == X86_OP_REG && x86.operands[0].reg == X86_REG_R11;
  constexpr uint64_t kTrapFlag = 0x100;
  return *to == entry || (through_r11 && (*to | kTrapFlag) == (entry | kTrapFlag));
}

// The first unconditional jump among the first kStubInsns instructions at
// `stub`, and its pc.
const cs_insn* FirstJump(DetailDecoder& decoder, uint64_t stub, const Arch::MemoryReader& read,
                         std::vector<uint8_t>& bytes) {
  std::optional<std::vector<uint8_t>> code = read(stub, kStubInsns * kMaxInsnBytes);
  if (!code) return nullptr;
  bytes = std::move(*code);
  size_t offset = 0;
  for (size_t i = 0; i < kStubInsns && offset < bytes.size(); ++i) {
    const cs_insn* insn =
        decoder.At(std::span<const uint8_t>(bytes).subspan(offset), stub + offset);
    if (!insn) return nullptr;
    if (insn->id == X86_INS_JMP) return insn;
    offset += insn->size;
  }
  return nullptr;
}

// The pc of the stub's jump when it goes to `entry` now (a bound PLT entry).
std::optional<uint64_t> StubJumpInto(DetailDecoder& decoder, uint64_t stub, uint64_t entry,
                                     const Registers& regs, const Arch::MemoryReader& read) {
  std::vector<uint8_t> bytes;
  const cs_insn* jump = FirstJump(decoder, stub, read, bytes);
  if (!jump || !GoesTo(*jump, regs, read, entry)) return std::nullopt;
  return jump->address;
}

// A classic PLT entry (jmp *GOT; push index; jmp PLT0) whose PLT0 (push
// *GOT+8; jmp *GOT+16) enters the resolver: the resolver's jump through the
// register that holds `entry` (x86-64 glibc: jmp r11 after restoring the
// arguments), within its first kResolverBytes.
std::optional<uint64_t> ResolverJumpInto(DetailDecoder& decoder, uint64_t stub, uint64_t entry,
                                         const Registers& regs, const Arch::MemoryReader& read) {
  constexpr size_t kResolverBytes = 512;
  std::vector<uint8_t> bytes;
  const cs_insn* bound = FirstJump(decoder, stub, read, bytes);
  if (!bound) return std::nullopt;
  // The jump to PLT0 follows the push.
  const uint64_t after = bound->address + bound->size;
  const cs_insn* to_plt0 = FirstJump(decoder, after, read, bytes);
  if (!to_plt0) return std::nullopt;
  std::optional<uint64_t> plt0 = Destination(*to_plt0, regs, read);
  if (!plt0) return std::nullopt;
  const cs_insn* to_resolver = FirstJump(decoder, *plt0, read, bytes);
  if (!to_resolver) return std::nullopt;
  std::optional<uint64_t> resolver = Destination(*to_resolver, regs, read);
  if (!resolver) return std::nullopt;
  std::optional<std::vector<uint8_t>> code = read(*resolver, kResolverBytes);
  if (!code) return std::nullopt;
  size_t offset = 0;
  while (offset < code->size()) {
    const cs_insn* insn =
        decoder.At(std::span<const uint8_t>(*code).subspan(offset), *resolver + offset);
    if (!insn) return std::nullopt;
    const cs_x86& x86 = insn->detail->x86;
    if (insn->id == X86_INS_JMP && x86.op_count == 1 && x86.operands[0].type == X86_OP_REG) {
      if (!GoesTo(*insn, regs, read, entry)) return std::nullopt;
      return insn->address;
    }
    offset += insn->size;
  }
  return std::nullopt;
}

}  // namespace

std::vector<Registers> X86_64Arch::StatesCallingInto(const Registers& at_entry,
                                                     const MemoryReader& read) const {
  std::vector<Registers> out;
  const uint64_t entry = Pc(at_entry);
  const uint64_t sp = Sp(at_entry);
  std::optional<uint64_t> return_address = Word64(read, sp);
  if (!return_address || *return_address < kMaxInsnBytes) return out;
  std::optional<std::vector<uint8_t>> before = read(*return_address - kMaxInsnBytes, kMaxInsnBytes);
  if (!before || before->size() != kMaxInsnBytes) return out;
  // The caller's registers: the call pushed the return address.
  Registers at_call = at_entry;
  at_call.SetWord(kX86Rsp, sp + 8);
  // The state of an instruction at `pc` with `regs` otherwise.
  auto candidate = [&](Registers regs, uint64_t pc) {
    SetPc(regs, pc);
    out.push_back(regs);
  };
  DetailDecoder decoder;
  for (size_t length = 2; length <= kMaxInsnBytes; ++length) {
    const uint64_t call_pc = *return_address - length;
    const cs_insn* insn =
        decoder.At(std::span<const uint8_t>(*before).subspan(kMaxInsnBytes - length), call_pc);
    if (!insn || insn->size != length || !decoder.InGroup(insn, X86_GRP_CALL)) continue;
    if (GoesTo(*insn, at_call, read, entry)) {
      candidate(at_call, call_pc);
      continue;
    }
    std::optional<uint64_t> callee = Destination(*insn, at_call, read);
    if (!callee) continue;
    // A call into a stub whose jump reaches the function: the jump ran
    // last, with the function's own registers; or, at the function's first
    // call through a lazily bound PLT entry, the dynamic linker's resolver
    // ran in between and its final jump did.
    for (std::optional<uint64_t> jump :
         {StubJumpInto(decoder, *callee, entry, at_entry, read),
          ResolverJumpInto(decoder, *callee, entry, at_entry, read)}) {
      if (jump) candidate(at_entry, *jump);
    }
  }
  return out;
}

}  // namespace rwd::arch
