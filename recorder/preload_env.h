// The environment change that loads the syscall buffer library.
#pragma once

#include <string>
#include <vector>

namespace rwd::recorder {

// Puts `library` first in LD_PRELOAD (added when absent, kept in front of
// what the program had).
void PreloadLibrary(const std::string& library, std::vector<std::string>* envp);

}  // namespace rwd::recorder
