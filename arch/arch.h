// Arch: the one interface through which generic code learns architecture
// facts. arch/x86_64/ and arch/aarch64/ implement it; nothing outside arch/
// may test the architecture with #ifdef or compare ArchIds to branch.
//
// An architecture is mostly data: its ArchDescription (register words of
// the syscall ABI, instruction bytes, stop artifacts, the register table gdb
// sees), from which Arch derives accessors and comparisons once for every
// architecture. What is code per architecture is virtual: decoding and
// applying trapped instructions. The host operations (ptrace, executing
// instructions in the tracer) are a separate interface, ArchHost, reached
// through Arch::host(). The gdb server sees only the RegisterDescription
// (arch/register_description.h).
//
// Instances are immutable singletons (ArchFor / HostArch); thread-safe.
// Everything except the "host" operations is plain data or pure functions
// and works for any architecture on any host, so tests cover both.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "arch/register_description.h"
#include "arch/registers.h"
#include "arch/syscall_table.h"
#include "base/status.h"

namespace rwd::arch {

enum class ArchId : uint8_t { kX86_64 = 1, kAArch64 = 2 };

// Instructions whose results are nondeterministic and that the recorder
// traps (fault, or a breakpoint patched over them) and replays from the trace.
enum class TrapInsnKind : uint8_t {
  kNone = 0,
  kRdtsc,        // values: {tsc}
  kRdtscp,       // values: {tsc, aux}
  kCpuid,        // values: {eax, ebx, ecx, edx}
  kRdrand,       // values: {random}
  kRdseed,       // values: {random}
  kCounterRead,  // AArch64 mrs CNTVCT_EL0 and friends; values: {counter}
};

struct TrapInsn {
  TrapInsnKind kind = TrapInsnKind::kNone;
  uint8_t length = 0;    // bytes, so pc can advance past it
  int8_t dest_reg = -1;  // Registers word written (rdrand/rdseed/mrs)
  uint8_t operand_bytes = 8;
};

// What cpuid tells recorded programs (rewind record --cpuid-mask). Either
// way rewind hides the features whose instructions it cannot record.
enum class CpuidMask : uint8_t {
  kNative = 0,    // the recording CPU's features
  kBaseline = 1,  // only those every machine of the architecture has
};
std::string_view CpuidMaskName(CpuidMask mask);  // "native", "baseline"
// nullopt for a name CpuidMaskName does not give.
std::optional<CpuidMask> ParseCpuidMask(std::string_view name);

// The instructions ScanForTrapSites finds besides the ones it always does
// (those the kernel cannot make fault anywhere: rdrand, rdseed, counter
// reads).
struct TrapScanKinds {
  // x86-64 rdtsc/rdtscp, where the kernel's PR_SET_TSC has no effect
  // (KernelTrapsTscReads).
  bool tsc_reads = false;
  // x86-64 cpuid, where the CPU cannot make it fault yet the program must
  // see masked values (CpuidMask::kBaseline).
  bool cpuid = false;
  bool operator==(const TrapScanKinds&) const = default;
};

// A code location holding a TrapInsn, found by scanning mapped code.
struct TrapSite {
  uint64_t addr = 0;
  TrapInsn insn;
};

// A vDSO function and the syscall that replaces it when patched.
struct VdsoFunction {
  std::string_view symbol;
  std::string_view syscall;
};

// A ptrace register set (PTRACE_GETREGSET note type) and an upper bound of
// its size; the kernel trims the size to the exact one on reads.
struct Regset {
  int note_type = 0;
  size_t max_bytes = 0;
};

// A hardware watchpoint or breakpoint request.
enum class HwKind : uint8_t { kExecute, kWrite, kRead, kAccess };
struct HwWatch {
  uint64_t addr = 0;
  uint32_t len = 1;  // bytes; the debug registers take 1, 2, 4 or 8
  HwKind kind = HwKind::kWrite;
};

// One decoded instruction, for a debugger's disassembly and source-line
// stepping (which steps over calls).
struct DecodedInsn {
  uint64_t addr = 0;
  uint8_t length = 0;
  std::string text;  // assembler syntax, e.g. "call 0x401126"
  bool is_call = false;
  bool is_return = false;
  // Where a direct jump or call goes; nullopt for indirect ones and others.
  std::optional<uint64_t> branch_target;
  // Execution may go on to the next instruction: false after an
  // unconditional jump or a return (a call's callee returns there).
  bool falls_through = true;
};

// The modes AdoptTraceeCpuModes gave the tracer.
struct TracerCpuModes {
  bool tsc_faulting = false;
  bool cpuid_faulting = false;
};

// Argument positions of clone(2), whose order differs between architectures
// (x86-64: flags, stack, ptid, ctid, tls; AArch64: flags, stack, ptid, tls,
// ctid).
struct CloneArgPositions {
  int flags = 0;
  int stack = 1;
  int parent_tid = 2;
  int child_tid = 3;
  int tls = 4;
};

// A Registers word, for DescribeRegisters.
struct NamedWord {
  std::string_view name;
  uint8_t word = 0;
};

// Bits of a Registers word.
struct WordBits {
  uint8_t word = 0;
  uint64_t bits = 0;
};

// How arch/capstone_text.h disassembles the architecture.
struct CapstoneDecoding;

// The facts of an architecture that are plain data, and from which Arch
// derives its register accessors, syscall conventions and comparisons in
// one place for every architecture (arch.cc). Each backend fills one.
struct ArchDescription {
  ArchId id = ArchId::kX86_64;
  RegisterDescription registers;

  // --- calling conventions: Registers words -------------------------------
  uint8_t pc_word = 0;
  uint8_t sp_word = 0;
  // Where a syscall stop reports the syscall number (x86-64 orig_rax: at
  // entry the kernel has already put -ENOSYS in rax, and after the syscall
  // rax holds the result; AArch64 x8, which the kernel leaves alone)...
  uint8_t syscall_number_word = 0;
  // ...and where the syscall instruction reads it (rax, x8).
  uint8_t syscall_insn_number_word = 0;
  std::array<uint8_t, 6> syscall_arg_words{};
  uint8_t syscall_result_word = 0;
  // The function calling convention's first result register.
  uint8_t function_result_word = 0;
  CloneArgPositions clone_args;

  // --- what a stop changes in the registers -------------------------------
  // Arch::SyscallStopClobberedWords.
  std::span<const uint8_t> syscall_stop_clobbered_words;
  // Bits that tell the kind of stop rather than the program's state, cleared
  // by Arch::ClearStopArtifacts besides the clobbered words.
  std::span<const WordBits> stop_artifacts;
  // Words the kernel keeps for itself and the program never reads (x86-64
  // orig_rax: the syscall a stop is in, or -1). One point reads them
  // differently at the exit stop of the syscall before it and after a step
  // or a breakpoint there: Arch::ClearStopArtifacts sets them to -1.
  std::span<const uint8_t> kernel_words;
  // The condition flags, which Arch::SameValues ignores.
  std::span<const WordBits> condition_flags;
  // Arch::DescribeRegisters' order: the registers a reader looks at first.
  std::span<const NamedWord> describe_order;

  // --- instructions -------------------------------------------------------
  std::span<const uint8_t> syscall_insn;
  std::span<const uint8_t> breakpoint_insn;
  // pc at a breakpoint trap == breakpoint address + this (x86 1, AArch64 0).
  uint64_t breakpoint_trap_pc_offset = 0;
  const CapstoneDecoding* disassembler = nullptr;
  std::span<const VdsoFunction> vdso_functions;

  // --- threads and signals -------------------------------------------------
  std::span<const Regset> thread_regsets;
  // Offsets from sp, at a handler's first instruction, of the 8-byte words
  // of its signal frame that hold the kernel's record of the thread's last
  // trap (arch/signal_frame.h); empty where rewind does not clear them.
  std::span<const uint64_t> signal_frame_trap_words;
  bool watchpoint_traps_before_access = false;

  // --- in-process syscall buffer (preload/) --------------------------------
  // AUDIT_ARCH_* value seccomp filters see for this architecture's syscalls.
  uint32_t audit_arch = 0;
  // Whether preload/ has a syscall buffer library for this architecture
  // (its syscall-site patching and entry code are per architecture).
  bool has_syscall_buffer = false;

  // --- pure functions of the architecture's data ----------------------------
  // Arch::UsableCpuFeatures.
  std::string (*usable_cpu_features)(std::string_view host_features, CpuidMask mask) = nullptr;
  // Arch::VectorRegisterValues.
  std::vector<uint8_t> (*vector_register_values)(std::span<const uint8_t> fp_regset) = nullptr;
  // The syscall a tracee runs to arm cpuid faulting on itself (number, then
  // six arguments); nullopt where the architecture has no cpuid.
  std::optional<std::array<uint64_t, 7>> cpuid_faulting_syscall;
};

// What an architecture does on the machine rewind runs on: executing
// instructions in the tracer, ptrace requests on its register sets, CPU
// modes. Only meaningful when rewind itself runs on that architecture;
// elsewhere the operations abort (ExecuteTrapInsn) or report failure, so the
// rest of an Arch still works (and is tested) on any host. One immutable
// instance per architecture, reached through Arch::host(); thread-safe.
class ArchHost {
 public:
  virtual ~ArchHost() = default;

  // Executes `insn` for real in the tracer (rdtsc, cpuid with the leaf in
  // `regs`) and returns the values to record. cpuid results are masked so
  // that libraries avoid instructions we cannot trap, and narrowed further
  // by `cpuid_mask`.
  virtual std::vector<uint64_t> ExecuteTrapInsn(const Registers& regs, const TrapInsn& insn,
                                                CpuidMask cpuid_mask) const = 0;
  // At a syscall-entry stop of `tid` (whose registers are `regs`): makes the
  // kernel run syscall `nr` instead, or none for -1 (the syscall is skipped
  // and its exit stop follows). x86-64 writes `regs` back with orig_rax
  // changed (updating `regs`); AArch64 writes NT_ARM_SYSTEM_CALL, since the
  // kernel has read x8 already, and leaves x8 as the program set it.
  virtual Status SetSyscallNumberAtEntry(pid_t tid, Registers& regs, int64_t nr) const = 0;
  // Programs debug registers of a stopped thread. kUnsupported when the
  // hardware has no free slot or cannot watch a range as asked (length,
  // alignment, kind), kSystem when ptrace refuses.
  virtual Status SetHwWatchpoints(pid_t tid, std::span<const HwWatch> watches) const = 0;
  // After a SIGTRAP: index into the last SetHwWatchpoints list that
  // triggered, if any; clears the hit status.
  virtual std::optional<int> TakeHwWatchpointHit(pid_t tid) const = 0;
  // Whether the kernel's per-task counter-read trapping (x86-64 PR_SET_TSC)
  // really makes rdtsc fault here. Some hypervisors ignore CR4.TSD in their
  // guests: then rdtsc runs natively whatever the kernel set, and the
  // recorder must patch it like rdrand. Probed once (a forked child), cached.
  // True where the architecture needs no such mode (AArch64 patches its
  // counter reads always).
  virtual bool KernelTrapsTscReads() const = 0;
  // Arms faulting on cpuid for the calling thread if the CPU supports it.
  virtual bool EnableCpuidFaulting() const = 0;
  // Gives the calling thread, and the threads and processes it creates
  // afterwards, the CPU modes rewind's tracees run with (x86-64: rdtsc and
  // rdtscp fault, and cpuid where the CPU can; nothing on AArch64). The
  // kernel rewrites those modes at every switch between two tasks whose
  // modes differ, and in a VM each rewrite exits to the hypervisor: a tracer
  // without its tracees' modes pays that at every ptrace stop (DESIGN.md,
  // "Measured facts"). The instructions then fault in the tracer too; a
  // SIGSEGV handler installed here executes them with the mode lifted for
  // that one instruction. Clock reads that are hot must not go through the
  // vDSO, which executes rdtsc (core/clock.h). Call before creating threads.
  virtual TracerCpuModes AdoptTraceeCpuModes() const = 0;
  // In a child the tracer forked that will run untraced (gdb), before exec:
  // the default modes again. Async-signal-safe.
  virtual void DropTraceeCpuModes() const = 0;
};

// The architecture as generic code (core/, recorder/, replayer/) sees it: the
// data of its ArchDescription, read through the accessors below, the
// behaviour that is code per architecture (virtual), and its host operations
// (host()). The gdb server sees only register_description().
class Arch {
 public:
  virtual ~Arch() = default;
  Arch(const Arch&) = delete;
  Arch& operator=(const Arch&) = delete;

  const ArchDescription& description() const { return desc_; }
  const RegisterDescription& register_description() const { return desc_.registers; }
  ArchId id() const { return desc_.id; }
  std::string_view name() const { return desc_.registers.name; }  // "x86_64", "aarch64"
  size_t gp_regs_size() const { return desc_.registers.gp_regs_size; }  // NT_PRSTATUS bytes

  // --- registers ----------------------------------------------------------
  uint64_t Pc(const Registers& r) const;
  void SetPc(Registers& r, uint64_t pc) const;
  uint64_t Sp(const Registers& r) const;
  // Valid at a syscall-entry stop (and after it: x86 keeps orig_rax).
  int64_t SyscallNumber(const Registers& r) const;
  // Sets the number register for a syscall instruction not yet executed
  // (SetupSyscall's job). At a syscall-entry stop use SetSyscallNumberAtEntry:
  // on AArch64 the kernel has already read x8 by then.
  void SetSyscallNumber(Registers& r, int64_t nr) const;
  uint64_t SyscallArg(const Registers& r, int i) const;
  void SetSyscallArg(Registers& r, int i, uint64_t v) const;
  int64_t SyscallResult(const Registers& r) const;
  void SetSyscallResult(Registers& r, int64_t v) const;
  // What a function returning an integer or pointer returned, read just
  // after its return (the calling convention's first result register).
  uint64_t FunctionResult(const Registers& r) const;
  // Called at a syscall-entry stop: moves pc back onto the syscall
  // instruction and restores the number register so that resuming executes
  // it (again). (At an exit stop AArch64 has lost the first argument: x0
  // holds the result and NT_PRSTATUS has no orig_x0.)
  void RewindToSyscallInsn(Registers& r) const;
  // Prepares registers so that executing the syscall instruction at
  // `insn_addr` performs syscall `nr` with `args` (injected syscalls). Where
  // stops report the number apart from where the instruction reads it
  // (x86-64 orig_rax), that word becomes -1: no syscall is pending, so
  // neither a pending syscall-entry stop nor the kernel's restart logic acts
  // on the old one.
  void SetupSyscall(Registers& r, uint64_t insn_addr, int64_t nr,
                    std::span<const uint64_t, 6> args) const;
  // Registers that may differ between record and replay for reasons that do
  // not affect the program (stop artifacts); used by divergence checks.
  bool SameProgramState(const Registers& a, const Registers& b) const;
  // SameProgramState, ignoring the condition flags: whether two passes of a
  // loop differ in a value, not only in the flags of their last compare.
  bool SameValues(const Registers& a, const Registers& b) const;
  // Registers words the kernel overwrites while the thread sits in a syscall
  // stop and puts back when it resumes (AArch64: x7 reads 0 at entry, 1 at
  // exit; writes to it there are dropped). Read at such a stop they are not
  // the program's values: never copy them into a thread stopped elsewhere.
  std::span<const uint8_t> SyscallStopClobberedWords() const {
    return desc_.syscall_stop_clobbered_words;
  }
  // Clears what registers read at a stop tell about the kind of stop rather
  // than about the program (AArch64: those words, and PSTATE.SS, which reads
  // 1 after a single-step; x86-64: the trap flag in r11, where `syscall`
  // copies rflags while the kernel single-steps; orig_rax, the syscall the
  // last stop was in), so that the same point of execution reached through
  // different stops compares equal.
  void ClearStopArtifacts(Registers& r) const;
  std::string DescribeRegisters(const Registers& r) const;

  // --- instructions -------------------------------------------------------
  std::span<const uint8_t> SyscallInsn() const { return desc_.syscall_insn; }
  std::span<const uint8_t> BreakpointInsn() const { return desc_.breakpoint_insn; }
  // pc at a breakpoint trap == breakpoint address + this (x86 1, AArch64 0).
  uint64_t BreakpointTrapPcOffset() const { return desc_.breakpoint_trap_pc_offset; }
  // Recognizes a trapping instruction at the start of `code`.
  virtual TrapInsn DecodeTrapInsn(std::span<const uint8_t> code) const = 0;
  // Length of the instruction at the start of `code` when it repeats inside
  // itself and a stop can interrupt it between iterations, leaving pc on it
  // with its count registers part-way (x86-64 rep-prefixed string
  // instructions); nullopt for every other instruction. A point recorded
  // there could not be found again at the instruction's start.
  virtual std::optional<size_t> InterruptibleInsnLength(std::span<const uint8_t> code) const {
    (void)code;
    return std::nullopt;
  }
  // Writes recorded `values` of `insn` into registers and advances pc.
  virtual void ApplyTrapInsn(Registers& r, const TrapInsn& insn,
                             std::span<const uint64_t> values) const = 0;
  // Finds instructions in `code` (mapped at `addr`) that must be patched to
  // trap because the kernel cannot make them fault (rdrand, rdseed, counter
  // reads), and those `kinds` adds: instructions the kernel normally makes
  // fault, for hosts where it cannot. Disassembles with Capstone.
  virtual std::vector<TrapSite> ScanForTrapSites(std::span<const uint8_t> code, uint64_t addr,
                                                 TrapScanKinds kinds) const = 0;
  // The instruction at the start of `code` (mapped at `addr`) in assembler
  // syntax, e.g. "mov eax, dword ptr [rax]"; "(bad)" when it does not
  // decode. Disassembles with Capstone. For crash reports.
  std::string DisassembleInsn(std::span<const uint8_t> code, uint64_t addr) const;
  // Up to `max_count` instructions from the start of `code` (mapped at
  // `addr`), stopping early at bytes that do not decode. Capstone.
  std::vector<DecodedInsn> Disassemble(std::span<const uint8_t> code, uint64_t addr,
                                       size_t max_count) const;
  // --- calls --------------------------------------------------------------
  // `len` bytes of the process's memory at `addr`; nullopt where unreadable.
  using MemoryReader =
      std::function<std::optional<std::vector<uint8_t>>(uint64_t addr, size_t len)>;
  // The instructions that may have run just before `at_entry`, a thread
  // about to run a function's first instruction: the call before the return
  // address, or, for a call into a stub (a PLT entry), the stub's jump (or,
  // at a lazily bound entry's first call, the dynamic linker's resolver's
  // final jump); only
  // those whose destination, computed from the registers and memory now, is
  // at_entry's pc. Each comes as the registers it ran with, which the state
  // after it gives exactly (x86-64: sp 8 higher before the call pushed the
  // return address). Candidates only: the replayer confirms one by stepping
  // it into `at_entry`. Empty where none is found, and where the call
  // overwrote a register whose old value is then unknown (AArch64: bl sets
  // x30).
  virtual std::vector<Registers> StatesCallingInto(const Registers& at_entry,
                                                   const MemoryReader& read) const {
    (void)at_entry;
    (void)read;
    return {};
  }
  // The instruction that ends where `pc` starts, as linear disassemblies of
  // `code` (the bytes mapped at [pc - code.size(), pc)) from each start in
  // it agree by majority (x86 code cannot be decoded backwards; decodings
  // resynchronize within a few instructions); nullopt when none ends there
  // or it cannot fall through to pc (a jump, a return). Capstone.
  std::optional<DecodedInsn> InsnFallingInto(std::span<const uint8_t> code, uint64_t pc) const;
  // `mov nr; syscall; ret`-style stub replacing a vDSO function.
  virtual std::vector<uint8_t> SyscallStub(int nr) const = 0;
  std::span<const VdsoFunction> VdsoFunctions() const { return desc_.vdso_functions; }

  // --- CPU features -------------------------------------------------------
  // The features among `host_features` (the recording machine's, as
  // /proc/cpuinfo lists them, space-separated) that a program recorded
  // under `mask` can see and execute: the instruction sets a replay machine
  // must also have. Leaves out the kernel's own flags (hypervisor,
  // constant_tsc, ...) and what rewind records instead of executing
  // (rdrand); under kBaseline, everything past the baseline. Pure.
  std::string UsableCpuFeatures(std::string_view host_features, CpuidMask mask) const {
    return desc_.usable_cpu_features(host_features, mask);
  }

  // --- syscalls -----------------------------------------------------------
  const SyscallTable& syscalls() const { return syscalls_; }
  CloneArgPositions CloneArgs() const { return desc_.clone_args; }

  // --- threads ------------------------------------------------------------
  // Register sets besides NT_PRSTATUS and FpRegsetType() that hold state of
  // one thread which a thread recreated in a checkpoint must be given
  // (AArch64: NT_ARM_TLS, the thread pointer; none on x86-64, whose fs_base
  // is part of NT_PRSTATUS).
  std::span<const Regset> ThreadRegsets() const { return desc_.thread_regsets; }

  // --- registers as gdb and checkpoints see them (RegisterDescription) ----
  std::span<const GdbRegister> GdbRegisters() const { return desc_.registers.gdb_registers; }
  std::optional<uint64_t> TcbAddress(const Registers& r) const {
    return desc_.registers.TcbAddress(r);
  }
  std::string_view TargetXml() const { return desc_.registers.target_xml; }
  int FpRegsetType() const { return desc_.registers.fp_regset_type; }
  size_t FpRegsetSize() const { return desc_.registers.fp_regset_size; }
  // The values of the FP and vector registers in `fp_regset` (as
  // FpRegsetType reads it), without the bookkeeping around them that may
  // differ for one program state (x87 last-instruction pointers, the xsave
  // header's in-use bits): what a fingerprint hashes besides the general
  // registers, since a loop in vector code (software AES) comes back to the
  // same general registers on every pass. Pure.
  std::vector<uint8_t> VectorRegisterValues(std::span<const uint8_t> fp_regset) const {
    return desc_.vector_register_values(fp_regset);
  }

  // --- host operations (only valid on the architecture we run on) ---------
  const ArchHost& host() const { return host_; }
  // True when a watchpoint traps before the access executes (AArch64: pc
  // still names the load or store), false when after it (x86-64). The
  // replayer steps over the access before reporting, so that every
  // architecture reports watchpoints after the access.
  bool WatchpointTrapsBeforeAccess() const { return desc_.watchpoint_traps_before_access; }
  // The syscall the tracee runs to arm cpuid faulting on itself, or nullopt.
  std::optional<std::array<uint64_t, 7>> CpuidFaultingSyscall() const {
    return desc_.cpuid_faulting_syscall;
  }

  // --- in-process syscall buffer (preload/) --------------------------------
  uint32_t AuditArch() const { return desc_.audit_arch; }
  bool HasSyscallBuffer() const { return desc_.has_syscall_buffer; }

 protected:
  Arch(ArchDescription description, SyscallTable syscalls, const ArchHost& host);

 private:
  const ArchDescription desc_;
  const SyscallTable syscalls_;
  const ArchHost& host_;
};

const Arch& HostArch();
// nullptr for an id this build does not know.
const Arch* ArchFor(ArchId id);
const Arch* ArchByName(std::string_view name);

}  // namespace rwd::arch
