// Arch: the one interface through which generic code learns architecture
// facts. arch/x86_64/ and arch/aarch64/ implement it; nothing outside arch/
// may test the architecture with #ifdef or compare ArchIds to branch.
//
// Instances are immutable singletons (ArchFor / HostArch); thread-safe.
// Everything except the "host" operations is plain data or pure functions
// and works for any architecture on any host, so tests cover both.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

// Where gdb's register number N comes from.
enum class RegSource : uint8_t {
  kGp,    // Registers word/offset (NT_PRSTATUS layout)
  kFp,    // the architecture's extended state (xsave area / fpsimd)
  kZero,  // not available from the kernel; reported as zero
};

struct GdbRegister {
  std::string_view name;
  uint16_t bitsize = 64;
  RegSource source = RegSource::kGp;
  uint32_t offset = 0;  // byte offset within its source
  // Bytes stored at `offset` when the source field is narrower than gdb's
  // register (x87 control words are 16-bit in the xsave area, 32-bit to
  // gdb); the remaining bytes read as zero. 0 means bitsize / 8.
  uint8_t source_bytes = 0;
  // The kernel's note of the interrupted syscall (x86-64 orig_rax). gdb
  // writes -1 there whenever it sets the pc (e.g. for `run`), to cancel a
  // syscall restart; a replay restarts only what was recorded, so that
  // write changes nothing the program sees.
  bool syscall_restart = false;
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
};

// The modes AdoptTraceeCpuModes gave the tracer.
struct TracerCpuModes {
  bool tsc_faulting = false;
  bool cpuid_faulting = false;
};

class Arch {
 public:
  virtual ~Arch() = default;

  virtual ArchId id() const = 0;
  virtual std::string_view name() const = 0;  // "x86_64", "aarch64"
  virtual size_t gp_regs_size() const = 0;    // NT_PRSTATUS bytes

  // --- registers ----------------------------------------------------------
  virtual uint64_t Pc(const Registers& r) const = 0;
  virtual void SetPc(Registers& r, uint64_t pc) const = 0;
  virtual uint64_t Sp(const Registers& r) const = 0;
  // Valid at a syscall-entry stop (and after it: x86 keeps orig_rax).
  virtual int64_t SyscallNumber(const Registers& r) const = 0;
  // Sets the number register for a syscall instruction not yet executed
  // (SetupSyscall's job). At a syscall-entry stop use SetSyscallNumberAtEntry:
  // on AArch64 the kernel has already read x8 by then.
  virtual void SetSyscallNumber(Registers& r, int64_t nr) const = 0;
  virtual uint64_t SyscallArg(const Registers& r, int i) const = 0;
  virtual void SetSyscallArg(Registers& r, int i, uint64_t v) const = 0;
  virtual int64_t SyscallResult(const Registers& r) const = 0;
  virtual void SetSyscallResult(Registers& r, int64_t v) const = 0;
  // What a function returning an integer or pointer returned, read just
  // after its return (the calling convention's first result register).
  virtual uint64_t FunctionResult(const Registers& r) const = 0;
  // Called at a syscall-entry stop: moves pc back onto the syscall
  // instruction and restores the number register so that resuming executes
  // it (again). (At an exit stop AArch64 has lost the first argument: x0
  // holds the result and NT_PRSTATUS has no orig_x0.)
  virtual void RewindToSyscallInsn(Registers& r) const = 0;
  // Prepares registers so that executing the syscall instruction at
  // `insn_addr` performs syscall `nr` with `args` (injected syscalls).
  virtual void SetupSyscall(Registers& r, uint64_t insn_addr, int64_t nr,
                            std::span<const uint64_t, 6> args) const = 0;
  // Registers that may differ between record and replay for reasons that do
  // not affect the program (none on x86-64); used by divergence checks.
  virtual bool SameProgramState(const Registers& a, const Registers& b) const = 0;
  // SameProgramState, ignoring the condition flags: whether two passes of a
  // loop differ in a value, not only in the flags of their last compare.
  virtual bool SameValues(const Registers& a, const Registers& b) const = 0;
  // Registers words the kernel overwrites while the thread sits in a syscall
  // stop and puts back when it resumes (AArch64: x7 reads 0 at entry, 1 at
  // exit; writes to it there are dropped). Read at such a stop they are not
  // the program's values: never copy them into a thread stopped elsewhere.
  virtual std::span<const uint8_t> SyscallStopClobberedWords() const = 0;
  // Clears what registers read at a stop tell about the kind of stop rather
  // than about the program (AArch64: those words, and PSTATE.SS, which reads
  // 1 after a single-step), so that the same point of execution reached
  // through different stops compares equal. Nothing on x86-64.
  virtual void ClearStopArtifacts(Registers& r) const = 0;
  virtual std::string DescribeRegisters(const Registers& r) const = 0;

  // --- instructions -------------------------------------------------------
  virtual std::span<const uint8_t> SyscallInsn() const = 0;
  virtual std::span<const uint8_t> BreakpointInsn() const = 0;
  // pc at a breakpoint trap == breakpoint address + this (x86 1, AArch64 0).
  virtual uint64_t BreakpointTrapPcOffset() const = 0;
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
  virtual std::string DisassembleInsn(std::span<const uint8_t> code, uint64_t addr) const = 0;
  // Up to `max_count` instructions from the start of `code` (mapped at
  // `addr`), stopping early at bytes that do not decode. Capstone.
  virtual std::vector<DecodedInsn> Disassemble(std::span<const uint8_t> code, uint64_t addr,
                                               size_t max_count) const = 0;
  // `mov nr; syscall; ret`-style stub replacing a vDSO function.
  virtual std::vector<uint8_t> SyscallStub(int nr) const = 0;
  virtual std::span<const VdsoFunction> VdsoFunctions() const = 0;

  // --- CPU features -------------------------------------------------------
  // The features among `host_features` (the recording machine's, as
  // /proc/cpuinfo lists them, space-separated) that a program recorded
  // under `mask` can see and execute: the instruction sets a replay machine
  // must also have. Leaves out the kernel's own flags (hypervisor,
  // constant_tsc, ...) and what rewind records instead of executing
  // (rdrand); under kBaseline, everything past the baseline. Pure.
  virtual std::string UsableCpuFeatures(std::string_view host_features, CpuidMask mask) const = 0;

  // --- syscalls -----------------------------------------------------------
  virtual const SyscallTable& syscalls() const = 0;

  // --- threads ------------------------------------------------------------
  // Register sets besides NT_PRSTATUS and FpRegsetType() that hold state of
  // one thread which a thread recreated in a checkpoint must be given
  // (AArch64: NT_ARM_TLS, the thread pointer; none on x86-64, whose fs_base
  // is part of NT_PRSTATUS).
  virtual std::span<const Regset> ThreadRegsets() const = 0;

  // --- gdb ----------------------------------------------------------------
  virtual std::span<const GdbRegister> GdbRegisters() const = 0;
  // The address of the thread's glibc struct pthread, found from its
  // general registers (thread-local variables, gdbserver/thread_local_address.h);
  // nullopt where the general registers do not hold the thread pointer
  // (AArch64: tpidr_el0 is in NT_ARM_TLS, not yet read here).
  virtual std::optional<uint64_t> TcbAddress(const Registers& r) const {
    (void)r;
    return std::nullopt;
  }
  virtual std::string_view TargetXml() const = 0;
  // regset note type holding the extended (FP/vector) state, and its size.
  virtual int FpRegsetType() const = 0;
  virtual size_t FpRegsetSize() const = 0;
  // The values of the FP and vector registers in `fp_regset` (as
  // FpRegsetType reads it), without the bookkeeping around them that may
  // differ for one program state (x87 last-instruction pointers, the xsave
  // header's in-use bits): what a fingerprint hashes besides the general
  // registers, since a loop in vector code (software AES) comes back to the
  // same general registers on every pass. Pure.
  virtual std::vector<uint8_t> VectorRegisterValues(std::span<const uint8_t> fp_regset) const = 0;

  // --- host operations (only valid on the architecture we run on) ---------
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
  // True when a watchpoint traps before the access executes (AArch64: pc
  // still names the load or store), false when after it (x86-64). The
  // replayer steps over the access before reporting, so that every
  // architecture reports watchpoints after the access.
  virtual bool WatchpointTrapsBeforeAccess() const = 0;
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
  // The syscall the tracee runs to arm cpuid faulting on itself, or nullopt.
  virtual std::optional<std::array<uint64_t, 7>> CpuidFaultingSyscall() const = 0;
  // Argument positions of clone(2), whose order differs between
  // architectures (x86-64: flags, stack, ptid, ctid, tls; AArch64: flags,
  // stack, ptid, tls, ctid).
  struct CloneArgPositions {
    int flags = 0;
    int stack = 1;
    int parent_tid = 2;
    int child_tid = 3;
    int tls = 4;
  };
  virtual CloneArgPositions CloneArgs() const = 0;

  // --- in-process syscall buffer (preload/) --------------------------------
  // AUDIT_ARCH_* value seccomp filters see for this architecture's syscalls.
  virtual uint32_t AuditArch() const = 0;
  // Whether preload/ has a syscall buffer library for this architecture
  // (its syscall-site patching and entry code are per architecture).
  virtual bool HasSyscallBuffer() const = 0;
};

const Arch& HostArch();
// nullptr for an id this build does not know.
const Arch* ArchFor(ArchId id);
const Arch* ArchByName(std::string_view name);

}  // namespace rwd::arch
