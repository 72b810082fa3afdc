#include <sys/wait.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "cli/commands.h"
#include "cli/trace_location.h"
#include "core/wait_status.h"
#include "replayer/replay_session.h"

namespace rwd::cli {

namespace {

constexpr const char* kReplayUsage =
    "usage: rewind replay -a [TRACE_DIR]\n"
    "  -a, --autopilot   replay to the end without a debugger, reproducing\n"
    "                    the program's output and exit status\n";

uint64_t FaultAddress(const trace::SignalEvent& sig) {
  // siginfo_t: si_addr follows si_signo, si_errno, si_code and padding.
  uint64_t addr = 0;
  if (sig.siginfo.size() >= 24) std::memcpy(&addr, sig.siginfo.data() + 16, sizeof(addr));
  return addr;
}

int Autopilot(const std::string& dir) {
  replayer::ReplayOptions options;
  options.trace_dir = dir;
  auto session = replayer::ReplaySession::Open(options);
  if (!session.ok()) {
    PrintError(session.status().message());
    return kExitFailure;
  }
  replayer::ReplaySession& s = **session;
  while (true) {
    auto stop = s.Continue();
    if (!stop.ok()) {
      fflush(stdout);
      PrintError(stop.status().ToString());
      return kExitFailure;
    }
    switch (stop->kind) {
      case replayer::ReplayStop::Kind::kExited: {
        int ws = stop->wait_status;
        if (WIFSIGNALED(ws)) {
          int sig = WTERMSIG(ws);
          std::string what = "replay reproduced " + SignalName(sig);
          const trace::SignalEvent* last = s.last_signal();
          if (last && last->signo == sig && last->synchronous) {
            char buf[96];
            snprintf(buf, sizeof(buf), " at address 0x%" PRIx64 " (pc 0x%" PRIx64 ")",
                     FaultAddress(*last), last->pc);
            what += buf;
          }
          PrintError(what);
          return 128 + sig;
        }
        return WEXITSTATUS(ws);
      }
      case replayer::ReplayStop::Kind::kEndOfTrace:
        fflush(stdout);
        PrintError("replay stopped at event " + std::to_string(s.event_number()) + ": " +
                   stop->note);
        return kExitIncomplete;
      default:
        break;  // signals are delivered on the next Continue
    }
  }
}

}  // namespace

int ReplayCommand(const Args& args) {
  bool autopilot = false;
  std::string trace_arg;
  for (const std::string& a : args) {
    if (a == "-h" || a == "--help") {
      fputs(kReplayUsage, stdout);
      return 0;
    }
    if (a == "-a" || a == "--autopilot") {
      autopilot = true;
    } else if (!a.empty() && a[0] == '-') {
      PrintError("unknown replay option '" + a + "'");
      fputs(kReplayUsage, stderr);
      return kExitUsage;
    } else {
      trace_arg = a;
    }
  }
  auto dir = ResolveTraceDir(trace_arg);
  if (!dir.ok()) {
    PrintError(dir.status().message());
    return kExitFailure;
  }
  if (!autopilot) {
    PrintError("debugging a replay with gdb is not available in this build; use -a");
    return kExitUsage;
  }
  return Autopilot(*dir);
}

}  // namespace rwd::cli
