#include "cli/program_lookup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "cli/commands.h"

namespace rwd::cli {

namespace {

// Why `path` cannot be executed, or "" when it can.
std::string WhyNotExecutable(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return strerror(errno);
  if (S_ISDIR(st.st_mode)) return strerror(EISDIR);
  if (!S_ISREG(st.st_mode) || access(path.c_str(), X_OK) != 0) return strerror(EACCES);
  return "";
}

}  // namespace

ProgramLookup LookUpProgram(const std::string& name) {
  if (name.empty()) return {false, 127, "command not found"};
  if (name.find('/') != std::string::npos) {
    std::string why = WhyNotExecutable(name);
    if (why.empty()) return {true, 0, ""};
    bool exists = access(name.c_str(), F_OK) == 0;
    return {false, exists ? 126 : 127, why};
  }
  const char* path_env = getenv("PATH");
  std::stringstream path(path_env ? path_env : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  // As bash: a file found but not executable is "Permission denied" (126)
  // unless an executable one comes later in $PATH.
  ProgramLookup result{false, 127, "command not found"};
  while (std::getline(path, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;
    std::string why = WhyNotExecutable(candidate);
    if (why.empty()) return {true, 0, ""};
    if (result.exit_status == 127) result = {false, 126, why};
  }
  return result;
}

int RefuseUnrunnableProgram(const std::string& name) {
  ProgramLookup lookup = LookUpProgram(name);
  if (lookup.found) return 0;
  PrintError(name + ": " + lookup.reason);
  return lookup.exit_status;
}

}  // namespace rwd::cli
