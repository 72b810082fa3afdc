// RandomWord: 8 bytes from the kernel's random pool, for the values the
// tracer records in place of a random-number instruction (x86-64 rdrand and
// rdseed, AArch64 RNDR and RNDRRS): the same quality, and the tracer need
// not depend on the CPU feature. Aborts if the kernel refuses.
#pragma once

#include <cstdint>

namespace rwd::arch {

uint64_t RandomWord();

}  // namespace rwd::arch
