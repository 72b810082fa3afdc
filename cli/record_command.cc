#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/program_lookup.h"
#include "cli/snapshot_interval_option.h"
#include "cli/syscall_buffer_option.h"
#include "cli/trace_location.h"
#include "recorder/record_session.h"

extern char** environ;

namespace rwd::cli {

void PrintError(const std::string& message) { fprintf(stderr, "rewind: %s\n", message.c_str()); }

int RecordCommand(const Args& args) {
  CommandLine line("record",
                   "[-o TRACE_DIR] [--chaos] [-w] [--cpuid-mask native|baseline] "
                   "[--snapshot-interval SECONDS] PROG [ARGS...]",
                   "Runs PROG with its own stdin/stdout/stderr and records every\n"
                   "nondeterministic input into a trace. Exits with PROG's status (126 or\n"
                   "127, as a shell, when PROG cannot be run). Options end at PROG: the\n"
                   "words after it are PROG's own.");
  std::string out_dir;
  bool chaos = false;
  SyscallBufferFlags syscallbuf;
  bool verbose = false;
  recorder::RecordOptions options;
  line.app()
      .add_option("-o,--output", out_dir,
                  "where the trace goes (default: a new directory under\n"
                  "$XDG_DATA_HOME/rewind/traces, and 'latest' points at it)")
      ->type_name("TRACE_DIR");
  line.app().add_flag("--chaos", chaos,
                      "randomized scheduling (time slices, thread order), so that\n"
                      "races which need an unlucky interleaving show up");
  std::string cpuid_mask = "native";
  line.app()
      .add_option("--cpuid-mask", cpuid_mask,
                  "what cpuid tells the program: 'native' (this CPU's features,\n"
                  "the default) or 'baseline' (x86-64-v2: no AVX, so that the\n"
                  "trace replays on any x86-64 machine)")
      ->type_name("MASK")
      ->check(OneOf({"native", "baseline"}));
  line.app().add_flag("-w,--wait", options.wait_for_all,
                      "when PROG's process ends, go on recording the processes it\n"
                      "left running until they end (default: they are killed then,\n"
                      "as rr does, so a daemon does not keep the recording going)");
  AddSyscallBufferFlags(line.app(), &syscallbuf);
  line.app().add_flag("-v,--verbose", verbose,
                      "say where the syscall buffer is not used, and what snapshots cost");
  SnapshotIntervalOption snapshot_interval;
  AddSnapshotIntervalOption(line.app(), &snapshot_interval);
  line.TakeCommand(&options.argv, "the program to record (PROG)");
  if (std::optional<int> done = line.Parse(args)) return *done;
  if (int status = RefuseUnrunnableProgram(options.argv[0])) return status;

  options.chaos = chaos;
  options.cpuid_mask = *arch::ParseCpuidMask(cpuid_mask);
  options.snapshot_interval = ChosenSnapshotInterval(snapshot_interval);
  options.syscallbuf_library = ChosenSyscallBufferLibrary(syscallbuf, verbose);
  if (verbose) options.on_verbose = [](const std::string& note) { PrintError(note); };
  for (char** e = environ; *e; ++e) options.envp.emplace_back(*e);
  bool default_location = out_dir.empty();
  if (default_location) {
    auto dir = NewTraceDir(options.argv[0]);
    if (!dir.ok()) {
      PrintError(dir.status().message());
      return kExitFailure;
    }
    out_dir = *dir;
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(out_dir).parent_path(), ec);
  options.trace_dir = out_dir;
  options.on_note = [](const std::string& note) { PrintError("note: " + note); };
  auto session = recorder::RecordSession::Start(options);
  if (!session.ok()) {
    PrintError(session.status().message());
    if (default_location) rmdir(out_dir.c_str());
    return kExitFailure;
  }
  if (default_location) UpdateLatest(out_dir);
  auto status = (*session)->Run();
  session->reset();
  if (!status.ok()) PrintError(status.status().message());
  // Also after a failure: what was recorded up to it is kept.
  PrintError("trace saved in " + out_dir);
  return status.ok() ? *status : kExitFailure;
}

}  // namespace rwd::cli
