#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/gdb_launcher.h"
#include "cli/gdb_sysroot.h"
#include "cli/program_lookup.h"
#include "cli/start_options.h"
#include "cli/trace_location.h"
#include "debugger/debugger_session.h"
#include "debugger/start_point.h"
#include "gdbserver/gdb_server.h"
#include "gdbserver/replay_target.h"
#include "gdbserver/tcp_listener.h"
#include "replayer/run_to_end.h"
#include "replayer/timeline.h"
#include "trace/trace_reader.h"

namespace rwd::cli {

namespace {

struct ReplayArgs {
  bool autopilot = false;
  bool stdio = false;
  int serve_port = -1;
  std::string trace;
  std::string gdb = "gdb";
  std::vector<std::string> gdb_args;
  replayer::TimelineOptions timeline;
  debugger::StartRequest start;  // -p, -f, --crash, -g
  bool keep_serving = false;
};

int Autopilot(const std::string& dir) {
  replayer::ReplayOptions options;
  options.trace_dir = dir;
  auto session = replayer::ReplaySession::Open(options);
  if (!session.ok()) {
    PrintError(session.status().message());
    return kExitFailure;
  }
  Expected<replayer::ReplayEnd> end = replayer::RunToEnd(**session);
  if (!end.ok()) {
    fflush(stdout);
    PrintError(end.status().ToString());
    return kExitFailure;
  }
  switch (end->kind) {
    case replayer::ReplayEnd::Kind::kExited:
      return end->status;
    case replayer::ReplayEnd::Kind::kKilled:
      PrintError(end->description);
      return 128 + end->status;
    case replayer::ReplayEnd::Kind::kIncomplete:
      fflush(stdout);
      PrintError(end->description);
      return kExitIncomplete;
  }
  return kExitFailure;
}

int Serve(const ReplayArgs& args, const std::string& dir) {
  replayer::TimelineOptions options = args.timeline;
  options.replay.trace_dir = dir;
  auto start = debugger::StartPoint::Choose(dir, args.start, &options);
  if (!start.ok()) {
    PrintError(start.status().message());
    return kExitFailure;
  }
  if (args.stdio) options.replay.stdout_fd = STDERR_FILENO;
  options.replay.keep_focus_at_exit = true;
  auto timeline = replayer::Timeline::Open(options);
  if (!timeline.ok()) {
    PrintError(timeline.status().message());
    return kExitFailure;
  }
  debugger::DebuggerSession session(**timeline, (*timeline)->live().recorded_pid());
  gdbserver::ReplayTarget target(session);
  if (!GoToStart(*start, session)) return kExitFailure;
  // Ctrl-C is gdb's: it reaches us as the protocol's interrupt byte.
  signal(SIGINT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  if (args.stdio) {
    gdbserver::GdbServer server(target, STDIN_FILENO, STDOUT_FILENO);
    Status s = server.Serve();
    if (!s.ok()) PrintError(s.message());
    return s.ok() ? 0 : kExitFailure;
  }
  auto listener = gdbserver::TcpListener::Listen(
      static_cast<uint16_t>(args.serve_port < 0 ? 0 : args.serve_port));
  if (!listener.ok()) {
    PrintError(listener.status().message());
    return kExitFailure;
  }
  std::string exe = target.HostPathFor(target.ExecFile());
  std::string connect = "target extended-remote 127.0.0.1:" + std::to_string(listener->port());
  pid_t gdb_pid = -1;
  std::unique_ptr<GdbSysroot> sysroot;
  if (args.serve_port >= 0) {
    // gdb has no packet by which a server can say that monitor goto or
    // restart moved the program; rewind's gdbinit makes gdb look again.
    printf(
        "rewind: serving %s on 127.0.0.1:%u\nconnect with:\n  gdb %s -ex '%s'\n"
        "(add -x FILE with the output of 'rewind gdbinit' for monitor goto and restart)\n",
        dir.c_str(), listener->port(), exe.c_str(), connect.c_str());
    fflush(stdout);
  } else {
    // The trace's copies of the libraries, read by gdb itself.
    auto reader = trace::TraceReader::Open(dir);
    if (reader.ok()) {
      auto made = GdbSysroot::Create(**reader);
      if (made.ok()) sysroot = std::move(*made);
    }
    // The program by its recorded name too (gdb shows it in `info
    // inferiors` and at detach), not the copy's content hash.
    if (sysroot) {
      std::string named = sysroot->PathFor(target.ExecFile());
      if (!named.empty()) exe = named;
    }
    auto pid =
        LaunchGdb(args.gdb, exe, connect, args.gdb_args, sysroot ? sysroot->GdbCommands() : "");
    if (!pid.ok()) {
      PrintError(pid.status().message());
      return kExitFailure;
    }
    gdb_pid = *pid;
    // gdb may end without connecting: it could not start, or its arguments
    // made it quit first.
    if (std::optional<int> status = WaitForConnection(listener->fd(), gdb_pid)) {
      if (*status != 0)
        PrintError("gdb exited with status " + std::to_string(*status) +
                   " before connecting to the replay");
      return *status;
    }
  }
  Status s = Status::Ok();
  do {
    auto socket = listener->Accept();
    if (!socket.ok()) {
      PrintError(socket.status().message());
      return kExitFailure;
    }
    gdbserver::GdbServer server(target, socket->get(), socket->get());
    s = server.Serve();
    if (!s.ok()) PrintError(s.message());
    if (args.keep_serving) {
      printf("rewind: gdb left; still serving on 127.0.0.1:%u (Ctrl-C ends)\n", listener->port());
      fflush(stdout);
    }
  } while (args.keep_serving);
  if (gdb_pid > 0) return WaitForGdb(gdb_pid);
  return s.ok() ? 0 : kExitFailure;
}

// Returns the exit status for a refused command line or --help, or nullopt
// when `out` is filled.
std::optional<int> ParseReplayArgs(const Args& args, ReplayArgs* out) {
  // The words after "--" are gdb's, whatever they look like.
  auto dashes = std::find(args.begin(), args.end(), "--");
  if (dashes != args.end()) out->gdb_args.assign(dashes + 1, args.end());
  CommandLine line("replay", "[options] [TRACE_DIR|FILE] [-- GDB_ARGS...]",
                   "Replays a trace under gdb (started for you), at the program's first\n"
                   "instruction, with reverse execution. GDB_ARGS go to that gdb.");
  CLI::App& app = line.app();
  CLI::Option* autopilot = app.add_flag("-a,--autopilot", out->autopilot,
                                        "replay to the end without a debugger, reproducing\n"
                                        "the program's output and exit status (none of the\n"
                                        "gdb options below go with it)");
  CLI::Option* serve = app.add_option("-s,--serve", out->serve_port,
                                      "only serve the gdb remote protocol on 127.0.0.1:PORT\n"
                                      "(0 picks a free port) and print how to connect;\n"
                                      "no gdb is started");
  serve->type_name("PORT")->check(IntegerIn(0, 65535, "a port number"));
  CLI::Option* stdio = app.add_flag("--stdio", out->stdio,
                                    "serve the protocol on stdin/stdout (gdb: target\n"
                                    "extended-remote | rewind replay --stdio TRACE);\n"
                                    "no gdb is started");
  int64_t interval_ms = out->timeline.checkpoint_interval.count();
  app.add_option("--checkpoint-interval", interval_ms,
                 "replay time between automatic checkpoints (200)")
      ->type_name("MS")
      ->check(IntegerIn(1, INT64_MAX, "a number of milliseconds"));
  app.add_option("--max-checkpoints", out->timeline.max_checkpoints,
                 "automatic checkpoints kept (48)")
      ->type_name("N")
      ->check(IntegerIn(0, INT32_MAX, "a number of checkpoints"));
  StartOptions start;
  AddStartOptions(app, &start);
  CLI::Option* keep = app.add_flag("-k,--keep-serving", out->keep_serving,
                                   "with -s: after gdb detaches, serve the next gdb\n"
                                   "from where the last one left");
  CLI::Option* gdb = app.add_option("--gdb", out->gdb, "the gdb to start (gdb)");
  gdb->type_name("PATH");
  bool no_snapshots = false;
  app.add_flag("--no-snapshots", no_snapshots,
               "re-execute from the start (or a checkpoint) even where\n"
               "the trace has a snapshot closer to the event wanted");
  bool software_watchpoints = false;
  app.add_flag("--software-watchpoints", software_watchpoints,
               "watch by page protection even where the debug\n"
               "registers work (also REWIND_SOFTWARE_WATCHPOINTS=1)");
  line.AddTraceArgument(&out->trace);
  serve->excludes(stdio);
  gdb->excludes(serve)->excludes(stdio);
  keep->needs(serve);
  std::vector<CLI::Option*> debugging = start.all();
  debugging.insert(debugging.end(), {serve, stdio, gdb, keep});
  for (CLI::Option* option : debugging) autopilot->excludes(option);
  std::optional<int> done = line.Parse(Args(args.begin(), dashes));
  if (done) return done;

  out->timeline.checkpoint_interval = std::chrono::milliseconds(interval_ms);
  out->timeline.use_snapshots = !no_snapshots;
  out->start = start.Request();
  // The replayer reads it where it chooses (core/hw_watch_probe.h).
  if (software_watchpoints) setenv("REWIND_SOFTWARE_WATCHPOINTS", "1", 1);
  bool starts_gdb = !out->autopilot && !out->stdio && out->serve_port < 0;
  if (!starts_gdb) {
    if (dashes != args.end()) {
      return line.Refuse("arguments after -- are for the gdb that rewind starts, and " +
                         std::string(out->autopilot ? "-a"
                                     : out->stdio   ? "--stdio"
                                                    : "--serve") +
                         " starts none");
    }
    return std::nullopt;
  }
  // A gdb that cannot start is said now, not after the trace is opened.
  ProgramLookup found = LookUpProgram(out->gdb);
  if (found.found) return std::nullopt;
  if (gdb->count() > 0) return line.Refuse("--gdb: " + out->gdb + ": " + found.reason);
  PrintError("cannot start gdb: " + out->gdb + ": " + found.reason +
             " (install gdb, name one with --gdb PATH, or use -s PORT)");
  return kExitFailure;
}

}  // namespace

int ReplayCommand(const Args& args) {
  ReplayArgs parsed;
  if (std::optional<int> done = ParseReplayArgs(args, &parsed)) return *done;
  auto dir = ResolveTraceDir(parsed.trace);
  if (!dir.ok()) {
    PrintError(dir.status().message());
    return kExitFailure;
  }
  if (parsed.autopilot) return Autopilot(*dir);
  return Serve(parsed, *dir);
}

}  // namespace rwd::cli
