// AArch64Arch: the register table and target description gdb sees.
//
// gdb numbers tdesc registers in the order they appear; its aarch64 port
// (features/aarch64-core.xml, aarch64-fpu.xml) expects core x0-x30, sp, pc,
// cpsr as 0-33 and fpu v0-v31, fpsr, fpcr as 34-67. The table below is in
// that order and the target description lists the same registers in the same order (a
// unit test holds them together).
//
// General registers come from NT_PRSTATUS (struct user_pt_regs; cpsr is the
// low half of the 64-bit pstate word), FP/SIMD from NT_PRFPREG (struct
// user_fpsimd_state: vregs[32] as 16-byte slots, then fpsr at 512 and fpcr
// at 516). SVE, pointer authentication and MTE state are not described, so
// gdb shows v0-v31 as the 128-bit registers the FP/SIMD regset holds.
#include <algorithm>
#include <array>

#include "arch/aarch64/aarch64_arch.h"

namespace rwd::arch {

namespace {

constexpr int kNtPrfpreg = 2;  // NT_PRFPREG from <elf.h>
constexpr size_t kFpsimdSize = 528;
constexpr uint32_t kFpsrOffset = 512;
constexpr uint32_t kFpcrOffset = 516;

constexpr GdbRegister Gp(std::string_view name, uint32_t word) {
  return {.name = name, .bitsize = 64, .source = RegSource::kGp, .offset = word * 8};
}
constexpr GdbRegister V(std::string_view name, uint32_t i) {
  return {.name = name, .bitsize = 128, .source = RegSource::kFp, .offset = 16 * i};
}

constexpr std::array<GdbRegister, 68> kGdbRegisters = {{
    // org.gnu.gdb.aarch64.core
    Gp("x0", 0),
    Gp("x1", 1),
    Gp("x2", 2),
    Gp("x3", 3),
    Gp("x4", 4),
    Gp("x5", 5),
    Gp("x6", 6),
    Gp("x7", 7),
    Gp("x8", 8),
    Gp("x9", 9),
    Gp("x10", 10),
    Gp("x11", 11),
    Gp("x12", 12),
    Gp("x13", 13),
    Gp("x14", 14),
    Gp("x15", 15),
    Gp("x16", 16),
    Gp("x17", 17),
    Gp("x18", 18),
    Gp("x19", 19),
    Gp("x20", 20),
    Gp("x21", 21),
    Gp("x22", 22),
    Gp("x23", 23),
    Gp("x24", 24),
    Gp("x25", 25),
    Gp("x26", 26),
    Gp("x27", 27),
    Gp("x28", 28),
    Gp("x29", 29),
    Gp("x30", 30),
    Gp("sp", kA64Sp),
    Gp("pc", kA64Pc),
    {.name = "cpsr", .bitsize = 32, .source = RegSource::kGp, .offset = kA64Pstate * 8},
    // org.gnu.gdb.aarch64.fpu
    V("v0", 0),
    V("v1", 1),
    V("v2", 2),
    V("v3", 3),
    V("v4", 4),
    V("v5", 5),
    V("v6", 6),
    V("v7", 7),
    V("v8", 8),
    V("v9", 9),
    V("v10", 10),
    V("v11", 11),
    V("v12", 12),
    V("v13", 13),
    V("v14", 14),
    V("v15", 15),
    V("v16", 16),
    V("v17", 17),
    V("v18", 18),
    V("v19", 19),
    V("v20", 20),
    V("v21", 21),
    V("v22", 22),
    V("v23", 23),
    V("v24", 24),
    V("v25", 25),
    V("v26", 26),
    V("v27", 27),
    V("v28", 28),
    V("v29", 29),
    V("v30", 30),
    V("v31", 31),
    {.name = "fpsr", .bitsize = 32, .source = RegSource::kFp, .offset = kFpsrOffset},
    {.name = "fpcr", .bitsize = 32, .source = RegSource::kFp, .offset = kFpcrOffset},
}};

// gdb's features/aarch64-core.xml and aarch64-fpu.xml in one document, so
// qXfer:features:read needs no xi:include round trips. The half-precision
// float view is left out (older gdbs do not know ieee_half and would reject
// the whole description); regnum on the first register of each feature pins
// the numbering above.
constexpr std::string_view kTargetXml = R"(<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
  <architecture>aarch64</architecture>
  <osabi>GNU/Linux</osabi>
  <feature name="org.gnu.gdb.aarch64.core">
    <reg name="x0" bitsize="64" type="int" regnum="0"/>
    <reg name="x1" bitsize="64" type="int"/>
    <reg name="x2" bitsize="64" type="int"/>
    <reg name="x3" bitsize="64" type="int"/>
    <reg name="x4" bitsize="64" type="int"/>
    <reg name="x5" bitsize="64" type="int"/>
    <reg name="x6" bitsize="64" type="int"/>
    <reg name="x7" bitsize="64" type="int"/>
    <reg name="x8" bitsize="64" type="int"/>
    <reg name="x9" bitsize="64" type="int"/>
    <reg name="x10" bitsize="64" type="int"/>
    <reg name="x11" bitsize="64" type="int"/>
    <reg name="x12" bitsize="64" type="int"/>
    <reg name="x13" bitsize="64" type="int"/>
    <reg name="x14" bitsize="64" type="int"/>
    <reg name="x15" bitsize="64" type="int"/>
    <reg name="x16" bitsize="64" type="int"/>
    <reg name="x17" bitsize="64" type="int"/>
    <reg name="x18" bitsize="64" type="int"/>
    <reg name="x19" bitsize="64" type="int"/>
    <reg name="x20" bitsize="64" type="int"/>
    <reg name="x21" bitsize="64" type="int"/>
    <reg name="x22" bitsize="64" type="int"/>
    <reg name="x23" bitsize="64" type="int"/>
    <reg name="x24" bitsize="64" type="int"/>
    <reg name="x25" bitsize="64" type="int"/>
    <reg name="x26" bitsize="64" type="int"/>
    <reg name="x27" bitsize="64" type="int"/>
    <reg name="x28" bitsize="64" type="int"/>
    <reg name="x29" bitsize="64" type="int"/>
    <reg name="x30" bitsize="64" type="int"/>
    <reg name="sp" bitsize="64" type="data_ptr"/>
    <reg name="pc" bitsize="64" type="code_ptr"/>
    <flags id="cpsr_flags" size="4">
      <field name="SP" start="0" end="0"/>
      <field name="EL" start="2" end="3"/>
      <field name="nRW" start="4" end="4"/>
      <field name="F" start="6" end="6"/>
      <field name="I" start="7" end="7"/>
      <field name="A" start="8" end="8"/>
      <field name="D" start="9" end="9"/>
      <field name="BTYPE" start="10" end="11"/>
      <field name="SSBS" start="12" end="12"/>
      <field name="IL" start="20" end="20"/>
      <field name="SS" start="21" end="21"/>
      <field name="PAN" start="22" end="22"/>
      <field name="UAO" start="23" end="23"/>
      <field name="DIT" start="24" end="24"/>
      <field name="TCO" start="25" end="25"/>
      <field name="V" start="28" end="28"/>
      <field name="C" start="29" end="29"/>
      <field name="Z" start="30" end="30"/>
      <field name="N" start="31" end="31"/>
    </flags>
    <reg name="cpsr" bitsize="32" type="cpsr_flags"/>
  </feature>
  <feature name="org.gnu.gdb.aarch64.fpu">
    <vector id="v2d" type="ieee_double" count="2"/>
    <vector id="v2u" type="uint64" count="2"/>
    <vector id="v2i" type="int64" count="2"/>
    <vector id="v4f" type="ieee_single" count="4"/>
    <vector id="v4u" type="uint32" count="4"/>
    <vector id="v4i" type="int32" count="4"/>
    <vector id="v8u" type="uint16" count="8"/>
    <vector id="v8i" type="int16" count="8"/>
    <vector id="v16u" type="uint8" count="16"/>
    <vector id="v16i" type="int8" count="16"/>
    <vector id="v1u" type="uint128" count="1"/>
    <vector id="v1i" type="int128" count="1"/>
    <union id="vnd">
      <field name="f" type="v2d"/>
      <field name="u" type="v2u"/>
      <field name="s" type="v2i"/>
    </union>
    <union id="vns">
      <field name="f" type="v4f"/>
      <field name="u" type="v4u"/>
      <field name="s" type="v4i"/>
    </union>
    <union id="vnh">
      <field name="u" type="v8u"/>
      <field name="s" type="v8i"/>
    </union>
    <union id="vnb">
      <field name="u" type="v16u"/>
      <field name="s" type="v16i"/>
    </union>
    <union id="vnq">
      <field name="u" type="v1u"/>
      <field name="s" type="v1i"/>
    </union>
    <union id="aarch64v">
      <field name="d" type="vnd"/>
      <field name="s" type="vns"/>
      <field name="h" type="vnh"/>
      <field name="b" type="vnb"/>
      <field name="q" type="vnq"/>
    </union>
    <reg name="v0" bitsize="128" type="aarch64v" regnum="34"/>
    <reg name="v1" bitsize="128" type="aarch64v"/>
    <reg name="v2" bitsize="128" type="aarch64v"/>
    <reg name="v3" bitsize="128" type="aarch64v"/>
    <reg name="v4" bitsize="128" type="aarch64v"/>
    <reg name="v5" bitsize="128" type="aarch64v"/>
    <reg name="v6" bitsize="128" type="aarch64v"/>
    <reg name="v7" bitsize="128" type="aarch64v"/>
    <reg name="v8" bitsize="128" type="aarch64v"/>
    <reg name="v9" bitsize="128" type="aarch64v"/>
    <reg name="v10" bitsize="128" type="aarch64v"/>
    <reg name="v11" bitsize="128" type="aarch64v"/>
    <reg name="v12" bitsize="128" type="aarch64v"/>
    <reg name="v13" bitsize="128" type="aarch64v"/>
    <reg name="v14" bitsize="128" type="aarch64v"/>
    <reg name="v15" bitsize="128" type="aarch64v"/>
    <reg name="v16" bitsize="128" type="aarch64v"/>
    <reg name="v17" bitsize="128" type="aarch64v"/>
    <reg name="v18" bitsize="128" type="aarch64v"/>
    <reg name="v19" bitsize="128" type="aarch64v"/>
    <reg name="v20" bitsize="128" type="aarch64v"/>
    <reg name="v21" bitsize="128" type="aarch64v"/>
    <reg name="v22" bitsize="128" type="aarch64v"/>
    <reg name="v23" bitsize="128" type="aarch64v"/>
    <reg name="v24" bitsize="128" type="aarch64v"/>
    <reg name="v25" bitsize="128" type="aarch64v"/>
    <reg name="v26" bitsize="128" type="aarch64v"/>
    <reg name="v27" bitsize="128" type="aarch64v"/>
    <reg name="v28" bitsize="128" type="aarch64v"/>
    <reg name="v29" bitsize="128" type="aarch64v"/>
    <reg name="v30" bitsize="128" type="aarch64v"/>
    <reg name="v31" bitsize="128" type="aarch64v"/>
    <flags id="fpsr_flags" size="4">
      <field name="IOC" start="0" end="0"/>
      <field name="DZC" start="1" end="1"/>
      <field name="OFC" start="2" end="2"/>
      <field name="UFC" start="3" end="3"/>
      <field name="IXC" start="4" end="4"/>
      <field name="IDC" start="7" end="7"/>
      <field name="QC" start="27" end="27"/>
      <field name="V" start="28" end="28"/>
      <field name="C" start="29" end="29"/>
      <field name="Z" start="30" end="30"/>
      <field name="N" start="31" end="31"/>
    </flags>
    <reg name="fpsr" bitsize="32" type="fpsr_flags"/>
    <flags id="fpcr_flags" size="4">
      <field name="IOE" start="8" end="8"/>
      <field name="DZE" start="9" end="9"/>
      <field name="OFE" start="10" end="10"/>
      <field name="UFE" start="11" end="11"/>
      <field name="IXE" start="12" end="12"/>
      <field name="IDE" start="15" end="15"/>
      <field name="FZ16" start="19" end="19"/>
      <field name="RMode" start="22" end="23"/>
      <field name="FZ" start="24" end="24"/>
      <field name="DN" start="25" end="25"/>
      <field name="AHP" start="26" end="26"/>
    </flags>
    <reg name="fpcr" bitsize="32" type="fpcr_flags"/>
  </feature>
</target>
)";

}  // namespace

RegisterDescription AArch64RegisterDescription() {
  return RegisterDescription{
      .name = "aarch64",
      .gp_regs_size = kA64NumGpWords * 8,
      .gdb_registers = kGdbRegisters,
      .target_xml = kTargetXml,
      .fp_regset_type = kNtPrfpreg,
      .fp_regset_size = kFpsimdSize,
      .tcb_word = std::nullopt,
  };
}

std::vector<uint8_t> AArch64VectorRegisterValues(std::span<const uint8_t> fp_regset) {
  // v0-v31, fpsr and fpcr: all of user_fpsimd_state but its padding.
  const size_t n = std::min<size_t>(fp_regset.size(), kFpcrOffset + 4);
  return {fp_regset.begin(), fp_regset.begin() + n};
}

}  // namespace rwd::arch
