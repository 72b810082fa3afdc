#include "base/check.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace rwd {

void CheckFailed(const char* file, int line, const char* expr, std::string_view message) {
  std::string out = "rewind: internal error at " + std::string(file) + ":" + std::to_string(line);
  if (expr != nullptr) out += ": check `" + std::string(expr) + "` failed";
  if (!message.empty()) out += ": " + std::string(message);
  out += "\n";
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
  std::abort();
}

}  // namespace rwd
