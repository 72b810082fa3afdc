#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "base/signal_name.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/gdb_launcher.h"
#include "cli/gdb_sysroot.h"
#include "cli/program_lookup.h"
#include "cli/trace_location.h"
#include "core/wait_status.h"
#include "debugger/debugger_session.h"
#include "gdbserver/gdb_server.h"
#include "gdbserver/replay_target.h"
#include "gdbserver/tcp_listener.h"
#include "recorder/fatal_signal.h"
#include "replayer/process_focus.h"
#include "replayer/run_to_end.h"
#include "replayer/timeline.h"
#include "trace/process_tree.h"
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
  pid_t process = 0;
  bool from_fork = false;
  bool crash = false;
  // -g: an event number, or the name the program gave a checkpoint.
  std::optional<uint64_t> goto_event;
  std::string goto_name;
  bool keep_serving = false;
};

// The fatal signal of a crashed process: where --crash stops.
struct CrashPoint {
  pid_t pid = 0;
  pid_t tid = 0;
  int signo = 0;
  uint64_t signal_event = 0;
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

// The first process of the tree killed by a core-dumping signal, and the
// event of that signal.
Expected<CrashPoint> FindCrash(const std::string& dir) {
  ASSIGN_OR_RETURN(auto reader, trace::TraceReader::Open(dir));
  ASSIGN_OR_RETURN(std::vector<trace::ProcessInfo> processes, trace::ReadProcessTree(*reader));
  for (const trace::ProcessInfo& p : processes) {
    if (p.end != trace::ProcessEnd::kExited || !WIFSIGNALED(p.wait_status) ||
        !recorder::IsCoreDumpSignal(WTERMSIG(p.wait_status))) {
      continue;
    }
    CrashPoint crash{p.pid, p.end_tid, WTERMSIG(p.wait_status), 0};
    RETURN_IF_ERROR(reader->Seek(p.first_event));
    for (uint64_t n = p.first_event; n < p.end_event; ++n) {
      ASSIGN_OR_RETURN(std::optional<trace::Event> ev, reader->Next());
      if (!ev) break;
      auto* sig = std::get_if<trace::SignalEvent>(&ev->body);
      if (sig && ev->tid == crash.tid && sig->signo == crash.signo) crash.signal_event = n;
    }
    if (crash.signal_event == 0) {
      return Status(ErrorCode::kCorrupt, "process " + std::to_string(p.pid) + " died of " +
                                             SignalName(crash.signo) +
                                             " but the trace has no such signal for it");
    }
    return crash;
  }
  return Status(ErrorCode::kNotFound,
                "no process crashed in " + dir + " (see 'rewind ps " + dir + "')");
}

// Runs the replay forward to the delivery of the crash's signal, so that gdb
// starts there.
Status RunToCrash(gdbserver::ReplayTarget& target, replayer::Timeline& timeline,
                  const CrashPoint& crash) {
  gdbserver::ResumeRequest forward;
  while (true) {
    gdbserver::StopReply stop = target.Resume(forward, [] { return false; });
    if (stop.kind != gdbserver::StopReply::Kind::kSignal) {
      return Status(ErrorCode::kDivergence, "the replay of process " + std::to_string(crash.pid) +
                                                " ended before its " + SignalName(crash.signo));
    }
    if (stop.signo == crash.signo && stop.tid == crash.tid &&
        timeline.live().event_number() >= crash.signal_event) {
      return Status::Ok();
    }
  }
}

int Serve(ReplayArgs args, const std::string& dir) {
  CrashPoint crash;
  if (args.crash) {
    auto found = FindCrash(dir);
    if (!found.ok()) {
      PrintError(found.status().message());
      return kExitFailure;
    }
    crash = *found;
    args.process = crash.pid;
    args.from_fork = false;
  }
  replayer::TimelineOptions options = args.timeline;
  options.replay.trace_dir = dir;
  if (args.process != 0) {
    Status chosen = replayer::FocusOnProcess(dir, args.process, args.from_fork, &options);
    if (!chosen.ok()) {
      PrintError(chosen.message());
      return kExitFailure;
    }
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
  if (args.crash) {
    Status reached = RunToCrash(target, **timeline, crash);
    if (!reached.ok()) {
      PrintError(reached.message());
      return kExitFailure;
    }
    fflush(stdout);
    PrintError("stopped where process " + std::to_string(crash.pid) + " (thread " +
               std::to_string(crash.tid) + ") receives its fatal " + SignalName(crash.signo) +
               ", event " + std::to_string((*timeline)->live().event_number()));
  }
  if (args.goto_event) {
    Status reached = (*timeline)->GotoEvent(*args.goto_event);
    if (!reached.ok()) {
      PrintError("cannot start at event " + std::to_string(*args.goto_event) + ": " +
                 reached.message());
      return kExitFailure;
    }
  }
  if (!args.goto_name.empty()) {
    Status reached = (*timeline)->RestoreCheckpoint(args.goto_name);
    if (!reached.ok()) {
      std::string names;
      for (const replayer::TraceBookmark& b : (*timeline)->bookmarks()) names += " " + b.name;
      PrintError("cannot start at '" + args.goto_name + "': " + reached.message() +
                 (names.empty() ? " (the program named no checkpoints)"
                                : " (the program named:" + names + ")"));
      return kExitFailure;
    }
  }
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
  pid_t exec_pid = 0, fork_pid = 0;
  CLI::Option* process = app.add_option("-p,--process", exec_pid,
                                        "debug process PID of the recorded tree (see\n"
                                        "'rewind ps'), from its first exec");
  process->type_name("PID")->check(IntegerIn(1, INT32_MAX, "a process id"));
  CLI::Option* fork_option = app.add_option("-f,--fork", fork_pid,
                                            "debug process PID from its creation (fork), not\n"
                                            "from its first exec as -p does");
  fork_option->type_name("PID")->check(IntegerIn(1, INT32_MAX, "a process id"));
  CLI::Option* crash = app.add_flag("--crash", out->crash,
                                    "debug the process that crashed, stopped at the\n"
                                    "fatal signal (bt, watch -l, reverse-continue);\n"
                                    "it picks the process, so no -p or -f");
  std::string goto_target;
  CLI::Option* goto_option = app.add_option("-g,--goto", goto_target,
                                            "start where EVENT events have been replayed (as\n"
                                            "'rewind dump' and 'monitor when' number them), or\n"
                                            "where the program called rewind_checkpoint(NAME),\n"
                                            "with the history before it to go back into");
  goto_option->type_name("EVENT|NAME")
      ->check(CLI::Validator(
          [](std::string& value) {
            bool digits = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
              return c >= '0' && c <= '9';
            });
            if (digits ? value.size() > 18 : (value.empty() || value[0] == '-')) {
              return "'" + value + "' is not an event number (0 or more) or a checkpoint's name";
            }
            return std::string();
          },
          ""));
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
  process->excludes(fork_option);
  crash->excludes(process)->excludes(fork_option);
  serve->excludes(stdio);
  gdb->excludes(serve)->excludes(stdio);
  keep->needs(serve);
  for (CLI::Option* debugging :
       {serve, stdio, process, fork_option, crash, gdb, goto_option, keep}) {
    autopilot->excludes(debugging);
  }
  std::optional<int> done = line.Parse(Args(args.begin(), dashes));
  if (done) return done;

  out->timeline.checkpoint_interval = std::chrono::milliseconds(interval_ms);
  out->timeline.use_snapshots = !no_snapshots;
  if (goto_option->count() > 0) {
    // The validator let through digits (an event) or a name.
    if (goto_target[0] >= '0' && goto_target[0] <= '9' &&
        std::all_of(goto_target.begin(), goto_target.end(),
                    [](char c) { return c >= '0' && c <= '9'; })) {
      out->goto_event = std::stoull(goto_target);
    } else {
      out->goto_name = goto_target;
    }
  }
  if (process->count() > 0) out->process = exec_pid;
  if (fork_option->count() > 0) {
    out->process = fork_pid;
    out->from_fork = true;
  }
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
