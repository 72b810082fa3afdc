#include "cli/trace_location.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

namespace rwd::cli {

namespace fs = std::filesystem;

std::string TracesRoot() {
  const char* xdg = getenv("XDG_DATA_HOME");
  std::string base;
  if (xdg && *xdg) {
    base = xdg;
  } else {
    const char* home = getenv("HOME");
    base = std::string(home && *home ? home : "/tmp") + "/.local/share";
  }
  return base + "/rewind/traces";
}

Expected<std::string> NewTraceDir(const std::string& program) {
  std::string root = TracesRoot();
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return Error("cannot create " + root + ": " + ec.message());
  std::string name = fs::path(program).filename().string();
  for (int n = 0; n < 100000; ++n) {
    std::string dir = root + "/" + name + "-" + std::to_string(n);
    if (mkdir(dir.c_str(), 0700) == 0) return dir;
    if (errno != EEXIST) return ErrnoError("creating " + dir);
  }
  return Error("no free trace directory name under " + root);
}

void UpdateLatest(const std::string& dir) {
  std::string link = TracesRoot() + "/latest";
  std::string tmp = link + ".tmp" + std::to_string(getpid());
  unlink(tmp.c_str());
  if (symlink(fs::path(dir).filename().c_str(), tmp.c_str()) == 0) {
    if (rename(tmp.c_str(), link.c_str()) != 0) unlink(tmp.c_str());
  }
}

Expected<std::string> ResolveTraceDir(const std::string& arg) {
  std::string dir = arg.empty() ? TracesRoot() + "/latest" : arg;
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (arg.empty()) {
      return Status(ErrorCode::kNotFound,
                    "no trace given and no latest recording in " + TracesRoot());
    }
    return Status(ErrorCode::kNotFound, "no trace directory at " + dir);
  }
  return dir;
}

Expected<std::unique_ptr<trace::TraceReader>> OpenTrace(const std::string& arg) {
  ASSIGN_OR_RETURN(std::string dir, ResolveTraceDir(arg));
  return trace::TraceReader::Open(dir);
}

}  // namespace rwd::cli
