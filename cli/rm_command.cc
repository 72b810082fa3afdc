// `rewind rm`: deletes traces, and nothing else.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/trace_location.h"

namespace rwd::cli {

namespace fs = std::filesystem;

int RmCommand(const Args& args) {
  CommandLine line("rm", "TRACE...",
                   "Deletes traces: a name from 'rewind ls' or a trace directory's path.\n"
                   "Refuses anything that is not a trace.");
  std::vector<std::string> traces;
  line.app().add_option("TRACE", traces, "a trace name or directory")->required();
  if (std::optional<int> done = line.Parse(args)) return *done;
  std::string root = TracesRoot();
  int status = 0;
  for (const std::string& a : traces) {
    // A bare name is one of ours; anything with a slash is a path.
    std::string dir = a.find('/') == std::string::npos ? root + "/" + a : a;
    struct stat st;
    if (a == "latest" || lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || !IsTraceDir(dir)) {
      PrintError("not removing " + dir + ": not a trace directory");
      status = kExitFailure;
      continue;
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) {
      PrintError("removing " + dir + ": " + ec.message());
      status = kExitFailure;
      continue;
    }
    // Do not leave `latest` dangling at what was removed.
    fs::path latest = root + "/latest";
    fs::path target = fs::read_symlink(latest, ec);
    if (!ec && fs::weakly_canonical(fs::path(root) / target, ec) ==
                   fs::weakly_canonical(fs::absolute(dir), ec)) {
      fs::remove(latest, ec);
    }
    printf("removed %s\n", dir.c_str());
  }
  return status;
}

}  // namespace rwd::cli
