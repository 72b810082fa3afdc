// X86_64Arch: the register table and target description gdb sees.
//
// gdb numbers tdesc registers in the order they appear: core 0-39, sse
// 40-56, linux (orig_rax) 57, segments 58-59, avx 60-75, which is also the
// order gdbserver uses for amd64 Linux. The table below is in that order and
// the target description lists the same registers in the same order (a unit test holds
// them together).
//
// Extended state comes from PTRACE_GETREGSET NT_X86_XSTATE in the standard
// (uncompacted) xsave format: the 512-byte FXSAVE legacy region (64-bit
// layout: fcw 0, fsw 2, abridged ftw 4, fop 6, fip 8, fdp 16, mxcsr 24,
// st0-7 at 32 in 16-byte slots, xmm0-15 at 160), the xsave header at 512,
// and the upper ymm halves at 576 (the AVX component offset cpuid 0xD.2
// reports; fixed for the standard format).
#include <array>

#include "arch/x86_64/x86_64_arch.h"

namespace rwd::arch {

namespace {

constexpr int kNtX86Xstate = 0x202;  // NT_X86_XSTATE from <elf.h>

constexpr uint32_t Gp(X86_64Reg word) { return word * 8; }

constexpr uint32_t kFxStOffset = 32;
constexpr uint32_t kFxXmmOffset = 160;
constexpr uint32_t kXsaveYmmHiOffset = 576;
constexpr uint32_t kFxMxcsrOffset = 24;
constexpr uint32_t kXsaveHeaderOffset = 512;  // XSTATE_BV, the components in use
constexpr uint64_t kXstateX87 = 1;
constexpr uint64_t kXstateSse = 2;
constexpr uint64_t kXstateAvx = 4;

constexpr GdbRegister Core64(std::string_view name, X86_64Reg word) {
  return {.name = name, .bitsize = 64, .source = RegSource::kGp, .offset = Gp(word)};
}
constexpr GdbRegister Core32(std::string_view name, X86_64Reg word) {
  return {.name = name, .bitsize = 32, .source = RegSource::kGp, .offset = Gp(word)};
}
constexpr GdbRegister St(std::string_view name, uint32_t i) {
  return {.name = name, .bitsize = 80, .source = RegSource::kFp, .offset = kFxStOffset + 16 * i};
}
constexpr GdbRegister Fx32(std::string_view name, uint32_t offset, uint8_t bytes) {
  return {.name = name,
          .bitsize = 32,
          .source = RegSource::kFp,
          .offset = offset,
          .source_bytes = bytes};
}
constexpr GdbRegister Xmm(std::string_view name, uint32_t i) {
  return {.name = name, .bitsize = 128, .source = RegSource::kFp, .offset = kFxXmmOffset + 16 * i};
}
constexpr GdbRegister YmmHi(std::string_view name, uint32_t i) {
  return {
      .name = name, .bitsize = 128, .source = RegSource::kFp, .offset = kXsaveYmmHiOffset + 16 * i};
}

constexpr std::array<GdbRegister, 76> kGdbRegisters = {{
    // org.gnu.gdb.i386.core
    Core64("rax", kX86Rax),
    Core64("rbx", kX86Rbx),
    Core64("rcx", kX86Rcx),
    Core64("rdx", kX86Rdx),
    Core64("rsi", kX86Rsi),
    Core64("rdi", kX86Rdi),
    Core64("rbp", kX86Rbp),
    Core64("rsp", kX86Rsp),
    Core64("r8", kX86R8),
    Core64("r9", kX86R9),
    Core64("r10", kX86R10),
    Core64("r11", kX86R11),
    Core64("r12", kX86R12),
    Core64("r13", kX86R13),
    Core64("r14", kX86R14),
    Core64("r15", kX86R15),
    Core64("rip", kX86Rip),
    Core32("eflags", kX86Eflags),
    Core32("cs", kX86Cs),
    Core32("ss", kX86Ss),
    Core32("ds", kX86Ds),
    Core32("es", kX86Es),
    Core32("fs", kX86Fs),
    Core32("gs", kX86Gs),
    St("st0", 0),
    St("st1", 1),
    St("st2", 2),
    St("st3", 3),
    St("st4", 4),
    St("st5", 5),
    St("st6", 6),
    St("st7", 7),
    Fx32("fctrl", 0, 2),
    Fx32("fstat", 2, 2),
    // gdb wants the full tag word (2 bits per register); FXSAVE keeps only
    // the abridged one (1 bit), and rebuilding the full word means classifying
    // each register's contents as gdb's i387_supply_fxsave does, which an
    // offset table cannot express. Reported as zero: only `info float`'s tag
    // column depends on it.
    {.name = "ftag", .bitsize = 32, .source = RegSource::kZero, .offset = 0},
    // In the 64-bit FXSAVE layout fip/fdp are 64-bit; like gdb's
    // amd64_supply_fxsave we show their upper halves as the "segments".
    Fx32("fiseg", 12, 4),
    Fx32("fioff", 8, 4),
    Fx32("foseg", 20, 4),
    Fx32("fooff", 16, 4),
    Fx32("fop", 6, 2),
    // org.gnu.gdb.i386.sse
    Xmm("xmm0", 0),
    Xmm("xmm1", 1),
    Xmm("xmm2", 2),
    Xmm("xmm3", 3),
    Xmm("xmm4", 4),
    Xmm("xmm5", 5),
    Xmm("xmm6", 6),
    Xmm("xmm7", 7),
    Xmm("xmm8", 8),
    Xmm("xmm9", 9),
    Xmm("xmm10", 10),
    Xmm("xmm11", 11),
    Xmm("xmm12", 12),
    Xmm("xmm13", 13),
    Xmm("xmm14", 14),
    Xmm("xmm15", 15),
    Fx32("mxcsr", 24, 4),
    // org.gnu.gdb.i386.linux
    {.name = "orig_rax",
     .bitsize = 64,
     .source = RegSource::kGp,
     .offset = Gp(kX86OrigRax),
     .syscall_restart = true},
    // org.gnu.gdb.i386.segments
    Core64("fs_base", kX86FsBase),
    Core64("gs_base", kX86GsBase),
    // org.gnu.gdb.i386.avx
    YmmHi("ymm0h", 0),
    YmmHi("ymm1h", 1),
    YmmHi("ymm2h", 2),
    YmmHi("ymm3h", 3),
    YmmHi("ymm4h", 4),
    YmmHi("ymm5h", 5),
    YmmHi("ymm6h", 6),
    YmmHi("ymm7h", 7),
    YmmHi("ymm8h", 8),
    YmmHi("ymm9h", 9),
    YmmHi("ymm10h", 10),
    YmmHi("ymm11h", 11),
    YmmHi("ymm12h", 12),
    YmmHi("ymm13h", 13),
    YmmHi("ymm14h", 14),
    YmmHi("ymm15h", 15),
}};

// gdb's features/i386/64bit-{core,sse,linux,segments,avx}.xml inlined into
// one document, so qXfer:features:read needs no xi:include round trips. The
// vec128 union omits gdb 12's v8_bfloat16 and v8_half views: older gdbs do
// not know those types and would reject the whole description. regnum on
// the first register of each feature pins the numbering above.
constexpr std::string_view kTargetXml = R"(<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
  <architecture>i386:x86-64</architecture>
  <osabi>GNU/Linux</osabi>
  <feature name="org.gnu.gdb.i386.core">
    <flags id="i386_eflags" size="4">
      <field name="CF" start="0" end="0"/>
      <field name="" start="1" end="1"/>
      <field name="PF" start="2" end="2"/>
      <field name="AF" start="4" end="4"/>
      <field name="ZF" start="6" end="6"/>
      <field name="SF" start="7" end="7"/>
      <field name="TF" start="8" end="8"/>
      <field name="IF" start="9" end="9"/>
      <field name="DF" start="10" end="10"/>
      <field name="OF" start="11" end="11"/>
      <field name="NT" start="14" end="14"/>
      <field name="RF" start="16" end="16"/>
      <field name="VM" start="17" end="17"/>
      <field name="AC" start="18" end="18"/>
      <field name="VIF" start="19" end="19"/>
      <field name="VIP" start="20" end="20"/>
      <field name="ID" start="21" end="21"/>
    </flags>
    <reg name="rax" bitsize="64" type="int64" regnum="0"/>
    <reg name="rbx" bitsize="64" type="int64"/>
    <reg name="rcx" bitsize="64" type="int64"/>
    <reg name="rdx" bitsize="64" type="int64"/>
    <reg name="rsi" bitsize="64" type="int64"/>
    <reg name="rdi" bitsize="64" type="int64"/>
    <reg name="rbp" bitsize="64" type="data_ptr"/>
    <reg name="rsp" bitsize="64" type="data_ptr"/>
    <reg name="r8" bitsize="64" type="int64"/>
    <reg name="r9" bitsize="64" type="int64"/>
    <reg name="r10" bitsize="64" type="int64"/>
    <reg name="r11" bitsize="64" type="int64"/>
    <reg name="r12" bitsize="64" type="int64"/>
    <reg name="r13" bitsize="64" type="int64"/>
    <reg name="r14" bitsize="64" type="int64"/>
    <reg name="r15" bitsize="64" type="int64"/>
    <reg name="rip" bitsize="64" type="code_ptr"/>
    <reg name="eflags" bitsize="32" type="i386_eflags"/>
    <reg name="cs" bitsize="32" type="int32"/>
    <reg name="ss" bitsize="32" type="int32"/>
    <reg name="ds" bitsize="32" type="int32"/>
    <reg name="es" bitsize="32" type="int32"/>
    <reg name="fs" bitsize="32" type="int32"/>
    <reg name="gs" bitsize="32" type="int32"/>
    <reg name="st0" bitsize="80" type="i387_ext"/>
    <reg name="st1" bitsize="80" type="i387_ext"/>
    <reg name="st2" bitsize="80" type="i387_ext"/>
    <reg name="st3" bitsize="80" type="i387_ext"/>
    <reg name="st4" bitsize="80" type="i387_ext"/>
    <reg name="st5" bitsize="80" type="i387_ext"/>
    <reg name="st6" bitsize="80" type="i387_ext"/>
    <reg name="st7" bitsize="80" type="i387_ext"/>
    <reg name="fctrl" bitsize="32" type="int" group="float"/>
    <reg name="fstat" bitsize="32" type="int" group="float"/>
    <reg name="ftag" bitsize="32" type="int" group="float"/>
    <reg name="fiseg" bitsize="32" type="int" group="float"/>
    <reg name="fioff" bitsize="32" type="int" group="float"/>
    <reg name="foseg" bitsize="32" type="int" group="float"/>
    <reg name="fooff" bitsize="32" type="int" group="float"/>
    <reg name="fop" bitsize="32" type="int" group="float"/>
  </feature>
  <feature name="org.gnu.gdb.i386.sse">
    <vector id="v4f" type="ieee_single" count="4"/>
    <vector id="v2d" type="ieee_double" count="2"/>
    <vector id="v16i8" type="int8" count="16"/>
    <vector id="v8i16" type="int16" count="8"/>
    <vector id="v4i32" type="int32" count="4"/>
    <vector id="v2i64" type="int64" count="2"/>
    <union id="vec128">
      <field name="v4_float" type="v4f"/>
      <field name="v2_double" type="v2d"/>
      <field name="v16_int8" type="v16i8"/>
      <field name="v8_int16" type="v8i16"/>
      <field name="v4_int32" type="v4i32"/>
      <field name="v2_int64" type="v2i64"/>
      <field name="uint128" type="uint128"/>
    </union>
    <flags id="i386_mxcsr" size="4">
      <field name="IE" start="0" end="0"/>
      <field name="DE" start="1" end="1"/>
      <field name="ZE" start="2" end="2"/>
      <field name="OE" start="3" end="3"/>
      <field name="UE" start="4" end="4"/>
      <field name="PE" start="5" end="5"/>
      <field name="DAZ" start="6" end="6"/>
      <field name="IM" start="7" end="7"/>
      <field name="DM" start="8" end="8"/>
      <field name="ZM" start="9" end="9"/>
      <field name="OM" start="10" end="10"/>
      <field name="UM" start="11" end="11"/>
      <field name="PM" start="12" end="12"/>
      <field name="FZ" start="15" end="15"/>
    </flags>
    <reg name="xmm0" bitsize="128" type="vec128" regnum="40"/>
    <reg name="xmm1" bitsize="128" type="vec128"/>
    <reg name="xmm2" bitsize="128" type="vec128"/>
    <reg name="xmm3" bitsize="128" type="vec128"/>
    <reg name="xmm4" bitsize="128" type="vec128"/>
    <reg name="xmm5" bitsize="128" type="vec128"/>
    <reg name="xmm6" bitsize="128" type="vec128"/>
    <reg name="xmm7" bitsize="128" type="vec128"/>
    <reg name="xmm8" bitsize="128" type="vec128"/>
    <reg name="xmm9" bitsize="128" type="vec128"/>
    <reg name="xmm10" bitsize="128" type="vec128"/>
    <reg name="xmm11" bitsize="128" type="vec128"/>
    <reg name="xmm12" bitsize="128" type="vec128"/>
    <reg name="xmm13" bitsize="128" type="vec128"/>
    <reg name="xmm14" bitsize="128" type="vec128"/>
    <reg name="xmm15" bitsize="128" type="vec128"/>
    <reg name="mxcsr" bitsize="32" type="i386_mxcsr" group="vector"/>
  </feature>
  <feature name="org.gnu.gdb.i386.linux">
    <reg name="orig_rax" bitsize="64" type="int" regnum="57"/>
  </feature>
  <feature name="org.gnu.gdb.i386.segments">
    <reg name="fs_base" bitsize="64" type="int" regnum="58"/>
    <reg name="gs_base" bitsize="64" type="int"/>
  </feature>
  <feature name="org.gnu.gdb.i386.avx">
    <reg name="ymm0h" bitsize="128" type="uint128" regnum="60"/>
    <reg name="ymm1h" bitsize="128" type="uint128"/>
    <reg name="ymm2h" bitsize="128" type="uint128"/>
    <reg name="ymm3h" bitsize="128" type="uint128"/>
    <reg name="ymm4h" bitsize="128" type="uint128"/>
    <reg name="ymm5h" bitsize="128" type="uint128"/>
    <reg name="ymm6h" bitsize="128" type="uint128"/>
    <reg name="ymm7h" bitsize="128" type="uint128"/>
    <reg name="ymm8h" bitsize="128" type="uint128"/>
    <reg name="ymm9h" bitsize="128" type="uint128"/>
    <reg name="ymm10h" bitsize="128" type="uint128"/>
    <reg name="ymm11h" bitsize="128" type="uint128"/>
    <reg name="ymm12h" bitsize="128" type="uint128"/>
    <reg name="ymm13h" bitsize="128" type="uint128"/>
    <reg name="ymm14h" bitsize="128" type="uint128"/>
    <reg name="ymm15h" bitsize="128" type="uint128"/>
  </feature>
</target>
)";

}  // namespace

RegisterDescription X86_64RegisterDescription(size_t xsave_size) {
  return RegisterDescription{
      .name = "x86_64",
      .gp_regs_size = kX86NumGpWords * 8,
      .gdb_registers = kGdbRegisters,
      .target_xml = kTargetXml,
      .fp_regset_type = kNtX86Xstate,
      .fp_regset_size = xsave_size,
      // TLS_TCB_AT_TP: %fs points at struct pthread itself.
      .tcb_word = kX86FsBase,
  };
}

std::vector<uint8_t> X86_64VectorRegisterValues(std::span<const uint8_t> fp_regset) {
  // mxcsr, the 80 bits of st0-7, xmm0-15 and the upper ymm halves. A
  // component the xsave header marks as in its initial state reads as
  // zeros whatever its bytes hold (hardware may leave them stale).
  std::vector<uint8_t> out;
  auto take = [&](uint32_t offset, size_t bytes, bool in_use) {
    const bool present = in_use && offset + bytes <= fp_regset.size();
    for (size_t i = 0; i < bytes; ++i) out.push_back(present ? fp_regset[offset + i] : 0);
  };
  const uint64_t in_use = fp_regset.size() >= kXsaveHeaderOffset + 8
                              ? fp_regset[kXsaveHeaderOffset] : uint64_t{0x3};
  take(kFxMxcsrOffset, 4, true);
  for (uint32_t i = 0; i < 8; ++i) take(kFxStOffset + 16 * i, 10, in_use & kXstateX87);
  take(kFxXmmOffset, 256, in_use & kXstateSse);
  take(kXsaveYmmHiOffset, 256, in_use & kXstateAvx);
  return out;
}

}  // namespace rwd::arch
