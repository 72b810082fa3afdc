#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/trace_location.h"
#include "recorder/record_session.h"

extern char** environ;

namespace rwd::cli {

namespace {

constexpr const char* kRecordUsage =
    "usage: rewind record [-o TRACE_DIR] [--chaos] PROG [ARGS...]\n"
    "Runs PROG with its own stdin/stdout/stderr and records every\n"
    "nondeterministic input into a trace. Exits with PROG's status.\n"
    "  --chaos   randomized scheduling (time slices, thread order), so that\n"
    "            races which need an unlucky interleaving show up\n";

}  // namespace

void PrintError(const std::string& message) {
  fprintf(stderr, "rewind: %s\n", message.c_str());
}

int RecordCommand(const Args& args) {
  std::string out_dir;
  bool chaos = false;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      fputs(kRecordUsage, stdout);
      return 0;
    }
    if (a == "-o" || a == "--output") {
      if (i + 1 >= args.size()) {
        PrintError("-o needs a directory");
        return kExitUsage;
      }
      out_dir = args[++i];
    } else if (a == "--chaos") {
      chaos = true;
    } else if (a == "--") {
      ++i;
      break;
    } else if (!a.empty() && a[0] == '-') {
      PrintError("unknown record option '" + a + "'");
      fputs(kRecordUsage, stderr);
      return kExitUsage;
    } else {
      break;
    }
  }
  if (i >= args.size()) {
    fputs(kRecordUsage, stderr);
    return kExitUsage;
  }
  recorder::RecordOptions options;
  options.argv.assign(args.begin() + static_cast<long>(i), args.end());
  options.chaos = chaos;
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
  if (!status.ok()) {
    PrintError(status.status().message());
    return kExitFailure;
  }
  return *status;
}

}  // namespace rwd::cli
