// `rewind ls`: the traces in the default location.
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "base/signal_name.h"
#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/trace_location.h"
#include "core/wait_status.h"
#include "trace/process_tree.h"
#include "trace/trace_reader.h"

namespace rwd::cli {

namespace fs = std::filesystem;

namespace {

uint64_t DiskBytes(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st;
    if (lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      bytes += static_cast<uint64_t>(st.st_blocks) * 512;
    }
  }
  return bytes;
}

std::string HumanSize(uint64_t bytes) {
  const char* units[] = {"B", "K", "M", "G", "T"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  snprintf(buf, sizeof(buf), u == 0 ? "%.0f%s" : "%.1f%s", v, units[u]);
  return buf;
}

// "exit 0", "exit 1", "SIGSEGV", "exit 1, SIGSEGV in 4242", "incomplete".
std::string Outcome(trace::TraceReader& reader) {
  if (!reader.complete()) return "incomplete";
  auto processes = trace::ReadProcessTree(reader);
  if (!processes.ok() || processes->empty()) return "?";
  std::string out;
  const trace::ProcessInfo& root = processes->front();
  if (root.end == trace::ProcessEnd::kExited) {
    out = WIFSIGNALED(root.wait_status) ? SignalName(WTERMSIG(root.wait_status))
                                        : "exit " + std::to_string(WEXITSTATUS(root.wait_status));
  } else {
    out = "-";
  }
  for (const trace::ProcessInfo& p : *processes) {
    if (&p == &root || p.end != trace::ProcessEnd::kExited || !WIFSIGNALED(p.wait_status) ||
        !IsCoreDumpSignal(WTERMSIG(p.wait_status))) {
      continue;
    }
    out += ", " + SignalName(WTERMSIG(p.wait_status)) + " in " + std::to_string(p.pid);
    break;
  }
  return out;
}

std::string StartTime(uint64_t ns) {
  time_t t = static_cast<time_t>(ns / 1000000000);
  struct tm tm;
  localtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

}  // namespace

int LsCommand(const Args& args) {
  CommandLine parser("ls", "",
                     "Lists the traces in $XDG_DATA_HOME/rewind/traces (default\n"
                     "~/.local/share/rewind/traces), oldest first: name, start time, how the\n"
                     "recorded command ended (exit code, or the signal of a crash anywhere in\n"
                     "its process tree), size on disk and command. '*' marks the latest.");
  if (std::optional<int> done = parser.Parse(args)) return *done;
  std::string root = TracesRoot();
  std::error_code ec;
  std::string latest = fs::read_symlink(root + "/latest", ec).filename().string();
  struct Row {
    uint64_t start_ns;
    std::string line;
  };
  std::vector<Row> rows;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name == "latest" || it->is_symlink() || !it->is_directory() ||
        !IsTraceDir(it->path().string())) {
      continue;
    }
    auto reader = trace::TraceReader::Open(it->path().string());
    uint64_t start = 0;
    std::string when = "?", outcome = "unreadable", command;
    if (reader.ok()) {
      const trace::TraceHeader& h = (*reader)->header();
      start = h.start_time_ns;
      when = StartTime(start);
      outcome = Outcome(**reader);
      for (const std::string& a : h.argv) command += (command.empty() ? "" : " ") + a;
    }
    char line[512];
    snprintf(line, sizeof(line), "%-24s %-19s %-24s %7s  ",
             (name + (name == latest ? " *" : "")).c_str(), when.c_str(), outcome.c_str(),
             HumanSize(DiskBytes(it->path().string())).c_str());
    rows.push_back({start, line + command});
  }
  if (rows.empty()) {
    printf("no traces in %s\n", root.c_str());
    return 0;
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.start_ns != b.start_ns ? a.start_ns < b.start_ns : a.line < b.line;
  });
  printf("%-24s %-19s %-24s %7s  %s\n", "NAME", "STARTED", "OUTCOME", "SIZE", "COMMAND");
  for (const Row& r : rows) printf("%s\n", r.line.c_str());
  return 0;
}

}  // namespace rwd::cli
