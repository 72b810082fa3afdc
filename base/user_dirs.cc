#include "base/user_dirs.h"

#include <cstdlib>

namespace rwd {
namespace {

// The XDG specification says a relative path in these variables is invalid
// and is ignored. Taking one would also break replay, which runs the
// program from a directory of its own: a trace unpacked under a relative
// cache directory is not found from there.
std::string BaseDir(const char* variable, const char* under_home) {
  if (const char* value = getenv(variable); value && value[0] == '/') return value;
  if (const char* home = getenv("HOME"); home && home[0] == '/') {
    return std::string(home) + "/" + under_home;
  }
  return "";
}

}  // namespace

std::string UserDataDir() { return BaseDir("XDG_DATA_HOME", ".local/share"); }
std::string UserCacheDir() { return BaseDir("XDG_CACHE_HOME", ".cache"); }

}  // namespace rwd
