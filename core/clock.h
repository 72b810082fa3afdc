// The tracer's clocks. Never std::chrono::steady_clock::now() on a hot path:
// the tracer runs with its tracees' CPU modes (Arch::AdoptTraceeCpuModes),
// so rdtsc faults in it, and the vDSO's CLOCK_MONOTONIC executes rdtsc
// (clocksource tsc or kvm-clock, as on these machines): through the vDSO,
// every read would fault and be emulated by a signal handler.
//  - MonotonicNow: CLOCK_MONOTONIC by a real clock_gettime syscall; exact,
//    a fraction of a microsecond. Same epoch as steady_clock (libstdc++
//    reads CLOCK_MONOTONIC), so the two may be compared.
//  - CoarseNow: CLOCK_MONOTONIC_COARSE through the vDSO, which reads the
//    time of the last timer tick and executes no rdtsc; nanoseconds, but
//    only as fine as a tick (1-4 ms). For deadlines of 10 ms and more.
#pragma once

#include <chrono>

namespace rwd {

std::chrono::steady_clock::time_point MonotonicNow();
std::chrono::steady_clock::time_point CoarseNow();

}  // namespace rwd
