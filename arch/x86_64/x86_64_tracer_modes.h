// The x86-64 tracer's own rdtsc, rdtscp and cpuid while it runs with its
// tracees' CPU modes (Arch::AdoptTraceeCpuModes): those instructions fault
// in the tracer as in the tracees. The tracer executes them itself to
// record a tracee's (ExecuteTrapInsn) and, rarely, for its own libraries
// (libc, libstdc++, zstd and xxhash CPU dispatch, a vDSO clock read); both
// paths lift the mode for that one instruction.
//
// Process-wide state: the SIGSEGV handler and which modes were adopted.
// Everything here is async-signal-safe. On hosts other than x86-64 these
// functions exist (the data half of X86_64Arch builds everywhere) and do
// nothing: the emulation reports false, the readers abort.
#pragma once

#include <cstdint>

namespace rwd::arch {

// Executes rdtsc (or rdtscp, storing TSC_AUX in *aux when aux is set),
// lifting rdtsc faulting around it when the tracer adopted it and it faults.
uint64_t TracerReadTsc(uint32_t* aux);

struct CpuidResult {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};
// Executes cpuid, lifting cpuid faulting around it when the tracer adopted it.
CpuidResult TracerCpuid(uint32_t leaf, uint32_t subleaf);

// The SIGSEGV handler's work: when the instruction at the pc of `ucontext`
// (a ucontext_t* of a SIGSEGV with si_code SI_KERNEL) is rdtsc, rdtscp or
// cpuid, executes it, writes its results into the saved registers, moves
// the pc past it and returns true. Otherwise changes nothing and returns
// false. Exposed for tests.
bool EmulateTracerTrapInsn(void* ucontext);

// How many faulting instructions the tracer's handler emulated so far: a
// number that grows with the tracee's syscalls means a hot path of the
// tracer reads the clock through the vDSO.
uint64_t TracerTrapInsnsEmulated();

}  // namespace rwd::arch
