// The environment changes the recorder makes: the mark of a recorded
// program, and the one that loads the syscall buffer library.
#pragma once

#include <string>
#include <vector>

namespace rwd::recorder {

// Puts `library` first in LD_PRELOAD (added when absent, kept in front of
// what the program had), and tells AddressSanitizer, which refuses to run
// unless its runtime is the first library, to accept that
// (verify_asan_link_order=0 added to ASAN_OPTIONS). ASan's interceptors
// still win: the library defines none of the functions ASan intercepts but
// clock_gettime and gettimeofday, which fill their results as the kernel
// does.
void PreloadLibrary(const std::string& library, std::vector<std::string>* envp);

// Sets REWIND_RECORDING=1 (include/rewind/checkpoint.h): only a program
// marked so makes rewind_checkpoint's syscall.
void MarkRecorded(std::vector<std::string>* envp);

}  // namespace rwd::recorder
