// `rewind ci`: records a test runner's whole process tree and, when it
// fails, keeps one self-contained file to replay elsewhere and prints a
// crash report for each process that died of a signal.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>

#include "base/signal_name.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/crash_report.h"
#include "cli/program_lookup.h"
#include "cli/snapshot_interval_option.h"
#include "cli/syscall_buffer_option.h"
#include "core/wait_status.h"
#include "recorder/record_session.h"
#include "trace/process_tree.h"
#include "trace/snapshot_store.h"
#include "trace/trace_archive.h"
#include "trace/trace_reader.h"

extern char** environ;

namespace rwd::cli {

namespace fs = std::filesystem;

namespace {

enum class Keep { kFailure, kAlways, kNever };

struct CiArgs {
  std::string out_dir = "rewind-artifacts";
  Keep keep = Keep::kFailure;
  bool chaos = false;
  SyscallBufferFlags syscallbuf;
  SnapshotIntervalOption snapshot_interval;
  // Portable by default: the artifact is debugged on another machine.
  std::string cpuid_mask = "baseline";
  std::vector<std::string> command;
};

// Returns the exit status for a usage error or --help, or nullopt when parsed.
std::optional<int> ParseCiArgs(const Args& args, CiArgs* out) {
  CommandLine line("ci",
                   "[-o DIR] [--keep failure|always|never] [--chaos] [--[no-]syscallbuf] "
                   "[--cpuid-mask baseline|native] [--snapshot-interval SECONDS] "
                   "-- COMMAND [ARGS...]",
                   "Records COMMAND (a test runner: make test, ctest, pytest, a script) with\n"
                   "its whole process tree and exits with its status. It fails when it exits\n"
                   "non-zero or when any process it ran crashed (a core-dumping signal), even\n"
                   "if the runner carried on. On failure the trace is packed into one file in\n"
                   "DIR, replayable on another machine ('rewind replay -a FILE', 'rewind\n"
                   "replay --crash FILE'), and a crash report is printed for each crash.\n"
                   "Options end at COMMAND (or at --): the words after it are COMMAND's own.");
  std::string keep = "failure";
  line.app()
      .add_option("-o,--output", out->out_dir, "where artifacts go (./rewind-artifacts)")
      ->type_name("DIR");
  line.app()
      .add_option("--keep", keep, "keep the artifact on failure (default), always or never")
      ->type_name("WHEN")
      ->check(OneOf({"failure", "always", "never"}));
  line.app().add_flag("--chaos", out->chaos, "randomized scheduling, to make races show up");
  AddSyscallBufferFlags(line.app(), &out->syscallbuf);
  AddSnapshotIntervalOption(line.app(), &out->snapshot_interval);
  line.app()
      .add_option("--cpuid-mask", out->cpuid_mask,
                  "what cpuid tells the programs: 'baseline' (the default: x86-64-v2,\n"
                  "no AVX, so that the artifact replays on any x86-64 machine) or\n"
                  "'native' (this CPU's features)")
      ->type_name("MASK")
      ->check(OneOf({"baseline", "native"}));
  line.TakeCommand(&out->command, "the command to run (-- COMMAND [ARGS...])");
  if (std::optional<int> done = line.Parse(args)) return done;
  out->keep = keep == "always" ? Keep::kAlways : keep == "never" ? Keep::kNever : Keep::kFailure;
  return std::nullopt;
}

// A private scratch directory for the trace while it is recorded.
Expected<std::string> MakeScratchDir() {
  const char* tmp = getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/rewind-ci-XXXXXX";
  if (!mkdtemp(pattern.data())) return ErrnoError("creating a directory like " + pattern);
  return pattern;
}

// DIR/<program>-<UTC time>-<pid>.rewind
std::string ArtifactPath(const std::string& dir, const std::string& program) {
  char stamp[32];
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
  return dir + "/" + fs::path(program).filename().string() + "-" + stamp + "-" +
         std::to_string(getpid()) + trace::kArchiveExtension;
}

std::string SelfPath() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "rewind" : self.string();
}

// Processes that crashed, from the trace (also those the recorder could not
// report on at their fatal stop), and the ones that exited non-zero.
struct TreeVerdict {
  std::vector<trace::ProcessInfo> crashed;
  std::vector<trace::ProcessInfo> killed;  // by a signal that does not dump core
  std::vector<trace::ProcessInfo> failed;  // exited non-zero
};

TreeVerdict JudgeTree(const std::vector<trace::ProcessInfo>& processes) {
  TreeVerdict v;
  for (const trace::ProcessInfo& p : processes) {
    if (p.end != trace::ProcessEnd::kExited) continue;
    if (WIFSIGNALED(p.wait_status)) {
      (IsCoreDumpSignal(WTERMSIG(p.wait_status)) ? v.crashed : v.killed).push_back(p);
    } else if (WEXITSTATUS(p.wait_status) != 0) {
      v.failed.push_back(p);
    }
  }
  return v;
}

// "N snapshots" of the trace in `dir`, which replay of the artifact starts
// from; "" when they cannot be listed.
std::string SnapshotCount(const std::string& dir) {
  auto snapshots = trace::ListSnapshots(dir);
  if (!snapshots.ok()) return "";
  return std::to_string(snapshots->size()) + (snapshots->size() == 1 ? " snapshot" : " snapshots");
}

void PrintSummary(int status, const TreeVerdict& verdict, const std::vector<CrashReport>& reports,
                  const std::string& artifact, const std::string& contents) {
  std::string self = SelfPath();
  std::string crash_command = artifact.empty() ? "" : self + " replay --crash " + artifact;
  for (const CrashReport& r : reports) fputs(FormatCrashReport(r, crash_command).c_str(), stderr);
  for (const trace::ProcessInfo& p : verdict.crashed) {
    bool reported = false;
    for (const CrashReport& r : reports) reported |= r.pid == p.pid;
    if (!reported) {
      PrintError("process " + std::to_string(p.pid) + " crashed with " +
                 SignalName(WTERMSIG(p.wait_status)) + ": " + p.command);
    }
  }
  for (const trace::ProcessInfo& p : verdict.killed) {
    PrintError("process " + std::to_string(p.pid) + " was killed by " +
               SignalName(WTERMSIG(p.wait_status)) + ": " + p.command);
  }
  if (verdict.crashed.empty() && status != 0) {
    for (const trace::ProcessInfo& p : verdict.failed) {
      PrintError("process " + std::to_string(p.pid) + " exited with status " +
                 std::to_string(WEXITSTATUS(p.wait_status)) + ": " + p.command);
    }
  }
  if (!artifact.empty()) {
    PrintError("trace kept in " + artifact + contents + "\n  replay it: " + self + " replay -a " +
               artifact +
               (verdict.crashed.empty() ? "\n  debug it:  " + self + " replay " + artifact : ""));
  }
}

}  // namespace

int CiCommand(const Args& raw_args) {
  CiArgs args;
  if (std::optional<int> done = ParseCiArgs(raw_args, &args)) return *done;
  if (int status = RefuseUnrunnableProgram(args.command[0])) return status;
  auto scratch = MakeScratchDir();
  if (!scratch.ok()) {
    PrintError(scratch.status().message());
    return kExitFailure;
  }
  std::string trace_dir = *scratch + "/" + fs::path(args.command[0]).filename().string();
  std::vector<CrashReport> reports;
  recorder::RecordOptions options;
  options.argv = args.command;
  for (char** e = environ; *e; ++e) options.envp.emplace_back(*e);
  options.trace_dir = trace_dir;
  options.chaos = args.chaos;
  options.syscallbuf_library = ChosenSyscallBufferLibrary(args.syscallbuf, false);
  options.snapshot_interval = ChosenSnapshotInterval(args.snapshot_interval);
  options.cpuid_mask = *arch::ParseCpuidMask(args.cpuid_mask);
  options.on_fatal_signal = [&](const recorder::FatalSignalStop& stop) {
    reports.push_back(CaptureCrash(stop));
  };
  auto cleanup = [&] {
    std::error_code ec;
    fs::remove_all(*scratch, ec);
  };

  int status = kExitFailure;
  bool recorded = false;
  auto session = recorder::RecordSession::Start(options);
  if (!session.ok()) {
    PrintError(session.status().message());
    cleanup();
    return kExitFailure;
  }
  auto run = (*session)->Run();
  session->reset();
  if (run.ok()) {
    status = *run;
    recorded = true;
  } else {
    PrintError(run.status().message());
  }

  TreeVerdict verdict;
  auto reader = trace::TraceReader::Open(trace_dir);
  if (reader.ok()) {
    auto processes = trace::ReadProcessTree(**reader);
    if (processes.ok()) verdict = JudgeTree(*processes);
  }
  bool failed = !recorded || status != 0 || !verdict.crashed.empty();
  bool keep = args.keep == Keep::kAlways || (failed && args.keep == Keep::kFailure);
  std::string artifact;
  // What the artifact holds besides the events, for the message naming it.
  std::string contents;
  if (keep) {
    std::string count = SnapshotCount(trace_dir);
    if (!count.empty()) contents = " (" + count + ")";
    std::error_code ec;
    fs::create_directories(args.out_dir, ec);
    std::string path = ArtifactPath(args.out_dir, args.command[0]);
    auto packed = ec ? Expected<uint64_t>(Error("creating " + args.out_dir + ": " + ec.message()))
                     : trace::PackTraceDir(trace_dir, path);
    if (packed.ok()) {
      artifact = fs::absolute(path).lexically_normal().string();
    } else {
      PrintError("the trace could not be kept: " + packed.status().message());
      if (recorded && status == 0) status = kExitFailure;
    }
  }
  cleanup();
  if (failed) PrintSummary(status, verdict, reports, artifact, contents);
  if (!failed && !artifact.empty()) PrintError("trace kept in " + artifact + contents);
  if (!recorded) return kExitFailure;
  // The runner passed but a process crashed: CI must see a failure.
  if (status == 0 && !verdict.crashed.empty()) return 1;
  return status;
}

}  // namespace rwd::cli
