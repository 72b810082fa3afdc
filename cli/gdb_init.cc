#include "cli/gdb_init.h"

#include <cstdio>

#include "cli/command_line.h"

namespace rwd::cli {

std::string GdbInitScript() {
  // `monitor restart` and `monitor goto` move the replay without a stop
  // reply, and gdb keeps the registers, frames and stack memory it cached at
  // the last stop (it flushes them only when it resumes the target). gdb has
  // no packet by which a server can invalidate them, so gdb flushes them
  // itself after every monitor command; `when` and the others, which move
  // nothing, lose only a cache that is refilled in one packet.
  return "define hookpost-monitor\n"
         "  maintenance flush register-cache\n"
         "end\n";
}

int GdbInitCommand(const Args& args) {
  CommandLine line("gdbinit", "",
                   "Prints the gdb commands rewind gives the gdb it starts, for a gdb\n"
                   "you start yourself: rewind gdbinit > FILE; gdb -x FILE ...");
  if (std::optional<int> done = line.Parse(args)) return *done;
  fputs(GdbInitScript().c_str(), stdout);
  return 0;
}

}  // namespace rwd::cli
