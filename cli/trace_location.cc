#include "cli/trace_location.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/user_dirs.h"
#include "trace/header_file.h"
#include "trace/layout.h"
#include "trace/trace_archive.h"

namespace rwd::cli {

namespace fs = std::filesystem;

std::string TracesRoot() {
  std::string base = UserDataDir();
  return (base.empty() ? "/tmp/.local/share" : base) + "/rewind/traces";
}

std::string UnpackCacheRoot() {
  std::string base = UserCacheDir();
  return (base.empty() ? "/tmp/.cache" : base) + "/rewind/unpacked";
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

bool IsTraceDir(const std::string& dir) {
  std::ifstream header(dir + "/" + trace::kHeaderFileName, std::ios::binary);
  char magic[sizeof(trace::kHeaderMagic)] = {};
  header.read(magic, sizeof(magic));
  return header.gcount() == sizeof(magic) &&
         std::memcmp(magic, trace::kHeaderMagic, sizeof(magic)) == 0;
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
  if (!arg.empty() && stat(dir.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    if (!trace::LooksLikeTraceArchive(dir)) {
      return Status(ErrorCode::kInvalidInput,
                    dir + " is a file but not a packed trace (see 'rewind pack')");
    }
    return trace::UnpackTraceArchive(dir, UnpackCacheRoot());
  }
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (arg.empty()) {
      return Status(ErrorCode::kNotFound,
                    "no trace given and no latest recording in " + TracesRoot());
    }
    return Status(ErrorCode::kNotFound, "no trace directory at " + dir);
  }
  // Absolute: the replayed program (which may chdir) opens the trace's
  // copies of its files by path.
  return fs::absolute(dir).lexically_normal().string();
}

Expected<std::unique_ptr<trace::TraceReader>> OpenTrace(const std::string& arg) {
  ASSIGN_OR_RETURN(std::string dir, ResolveTraceDir(arg));
  return trace::TraceReader::Open(dir);
}

}  // namespace rwd::cli
