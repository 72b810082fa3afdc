#include "tests/e2e/gdb_driver.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace rwd::e2e {
namespace {

constexpr char kRewindBinary[] = REWIND_BINARY;
constexpr char kSourceDir[] = REWIND_SOURCE_DIR;
constexpr char kMarkerPrefix[] = "@@gdb-command ";

std::string Marker(const std::string& id) { return kMarkerPrefix + id + "@@"; }

// Single quotes for /bin/sh, which runs the `target remote |` command.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::vector<std::string> CommonSettings(const GdbOptions& options) {
  std::vector<std::string> settings = {"set pagination off", "set width 0", "set height 0",
                                       "set confirm off", "set debuginfod enabled off",
                                       // The server's start-up (replay to the first
                                       // instruction) can outlast gdb's 2 s default on a
                                       // loaded CI machine.
                                       "set remotetimeout 30"};
  if (!options.remote_files) settings.push_back("set sysroot /");
  return settings;
}

// The script `rewind gdbinit` prints, in a file gdb sources as a user who
// starts gdb by hand does; removed when the test process exits.
class GdbInitFile {
 public:
  GdbInitFile() {
    char path[] = "/tmp/rewind-gdbinit-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return;
    close(fd);
    path_ = path;
    RunResult script = RunCommand({kRewindBinary, "gdbinit"});
    std::ofstream(path_) << script.out;
  }
  ~GdbInitFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string TrimTrailingNewlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// The parent pid in /proc/PID/stat, or -1. With read(2): the process may
// end between open and read (ESRCH), which an ifstream's buffer turns into
// an exception that would end the whole test binary.
pid_t ParentOf(pid_t pid) {
  int fd = open(("/proc/" + std::to_string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  if (n <= 0) return -1;
  std::string stat(buf, static_cast<size_t>(n));
  size_t paren = stat.rfind(')');  // the command name may contain anything
  if (paren == std::string::npos) return -1;
  std::istringstream fields(stat.substr(paren + 1));
  std::string state;
  pid_t ppid = -1;
  fields >> state >> ppid;
  return ppid;
}

std::vector<pid_t> Children() {
  std::vector<pid_t> children;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return children;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end == '\0' && pid > 0 && ParentOf(static_cast<pid_t>(pid)) == getpid()) {
      children.push_back(static_cast<pid_t>(pid));
    }
  }
  closedir(proc);
  return children;
}

// gdb starts the `target remote |` server in a session of its own, so a
// timeout that kills gdb's process group misses it, and a hung server would
// outlive the test with its tracees. While gdb runs, this process is their
// subreaper: what gdb leaves behind becomes our child, gets a grace period
// to exit (a server exits when gdb hangs up) and is then killed and reaped.
class OrphanCollector {
 public:
  OrphanCollector() { prctl(PR_SET_CHILD_SUBREAPER, 1); }
  ~OrphanCollector() {
    auto now = std::chrono::steady_clock::now;
    auto kill_after = now() + std::chrono::seconds(3);
    auto give_up = kill_after + std::chrono::seconds(10);
    for (std::vector<pid_t> left = Children(); !left.empty() && now() < give_up;
         left = Children()) {
      bool late = now() > kill_after;
      for (pid_t pid : left) {
        if (late) kill(pid, SIGKILL);
        waitpid(pid, nullptr, WNOHANG);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    prctl(PR_SET_CHILD_SUBREAPER, 0);
  }
};

GdbTranscript RunGdb(const std::string& program, const std::vector<std::string>& preamble,
                     const std::vector<std::string>& commands, const GdbOptions& options) {
  // sh merges stderr into stdout so errors stay in order with the rest.
  std::vector<std::string> argv = {"/bin/sh", "-c",  "exec \"$0\" \"$@\" 2>&1",
                                   "gdb",     "-nx", "-batch"};
  auto add = [&argv](const std::string& command) {
    argv.push_back("-ex");
    argv.push_back(command);
  };
  for (const std::string& command : preamble) add(command);
  for (size_t i = 0; i < commands.size(); ++i) {
    add("echo \\n" + Marker(std::to_string(i)) + "\\n");
    add(commands[i]);
  }
  add("echo \\n" + Marker("end") + "\\n");
  if (!program.empty()) argv.push_back(program);

  GdbTranscript transcript;
  RunOptions run_options;
  run_options.timeout = options.timeout;
  run_options.env = options.env;
  {
    OrphanCollector collector;
    transcript.run = RunCommand(argv, run_options);
  }

  // Split the output at the marker lines.
  const std::string& out = transcript.run.out;
  std::string* sink = &transcript.preamble;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    size_t next = end == std::string::npos ? out.size() : end + 1;
    std::string line = out.substr(start, (end == std::string::npos ? out.size() : end) - start);
    if (line.rfind(kMarkerPrefix, 0) == 0 && line.size() > 2 &&
        line.compare(line.size() - 2, 2, "@@") == 0) {
      std::string id =
          line.substr(sizeof(kMarkerPrefix) - 1, line.size() - 2 - (sizeof(kMarkerPrefix) - 1));
      if (id == "end") {
        sink = nullptr;
        break;
      }
      size_t index = std::stoul(id);
      transcript.commands.resize(index + 1);
      transcript.commands[index].command = commands.at(index);
      sink = &transcript.commands[index].output;
    } else {
      sink->append(out, start, next - start);
    }
    start = next;
  }
  transcript.preamble = TrimTrailingNewlines(transcript.preamble);
  for (GdbCommandOutput& command : transcript.commands) {
    command.output = TrimTrailingNewlines(command.output);
  }
  return transcript;
}

// Removes a leading "#N  " or "0x... in " or stop-reason prefix from a
// location line, leaving "function (args) at file:line". Once a program has
// had several threads, gdb names the thread that stopped before the reason:
// "Thread 2 "worker-1" hit Breakpoint 1, ..." (the name only when it has one).
std::string StripLocationPrefix(const std::string& text) {
  static const std::regex kPrefixes(
      R"re(^(Run till exit from |#\d+\s+|Thread \d+ (?:"[^"]*" )?hit |)re"
      R"re((Temporary )?[Bb]reakpoint \d+, |0x[0-9a-f]+ in )+)re");
  return std::regex_replace(text, kPrefixes, "", std::regex_constants::format_first_only);
}

// Splits "name (args) rest" into name, args and rest; the args end at the
// parenthesis that balances the first one.
bool SplitCall(const std::string& text, std::string* name, std::string* args, std::string* rest) {
  size_t open = text.find(" (");
  if (open == std::string::npos) return false;
  int depth = 0;
  for (size_t i = open + 1; i < text.size(); ++i) {
    if (text[i] == '(') ++depth;
    if (text[i] == ')' && --depth == 0) {
      *name = text.substr(0, open);
      *args = text.substr(open + 2, i - open - 2);
      *rest = text.substr(i + 1);
      return true;
    }
  }
  return false;
}

}  // namespace

bool GdbAvailable(std::string* reason) {
  static const RunResult kVersion = RunCommand({"gdb", "-nx", "-batch", "-ex", "show version"});
  if (kVersion.exit_status == 0 && Contains(kVersion.out, "GNU gdb")) return true;
  if (reason) *reason = "cannot run gdb (" + kVersion.Describe() + ")";
  return false;
}

void GdbTest::SetUp() {
  E2ETest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  std::string reason;
  if (!GdbAvailable(&reason)) GTEST_SKIP() << "these tests drive gdb: " << reason;
}

const std::string& GdbTranscript::Output(size_t index) const {
  static const std::string kNone;
  if (index >= commands.size()) {
    ADD_FAILURE() << "gdb did not reach command " << index << "\n" << Describe();
    return kNone;
  }
  return commands[index].output;
}

std::string GdbTranscript::Describe() const {
  std::ostringstream text;
  text << "gdb " << run.Describe() << "\n--- preamble ---\n" << preamble << "\n";
  for (size_t i = 0; i < commands.size(); ++i) {
    text << "--- [" << i << "] (gdb) " << commands[i].command << "\n" << commands[i].output << "\n";
  }
  return text.str();
}

GdbTranscript RunGdbOnReplay(const std::string& trace, const std::string& program,
                             const std::vector<std::string>& commands, const GdbOptions& options) {
  std::vector<std::string> preamble = CommonSettings(options);
  std::string server = ShellQuote(kRewindBinary) + " replay --stdio";
  for (const std::string& arg : options.replay_args) server += " " + ShellQuote(arg);
  server += " " + ShellQuote(trace);
  static const GdbInitFile init;
  preamble.push_back("source " + init.path());
  preamble.push_back("target extended-remote | " + server);
  preamble.insert(preamble.end(), options.setup.begin(), options.setup.end());
  return RunGdb(program, preamble, commands, options);
}

GdbTranscript RunGdbNative(const std::string& program, const std::vector<std::string>& commands,
                           const GdbOptions& options) {
  std::vector<std::string> preamble = CommonSettings(options);
  preamble.insert(preamble.end(), options.setup.begin(), options.setup.end());
  return RunGdb(program, preamble, commands, options);
}

std::string SourceLocation::FileName() const { return file.substr(file.rfind('/') + 1); }

std::string SourceLocation::ToString() const {
  return (function.empty() ? "?" : function) + " at " + (file.empty() ? "?" : FileName()) + ":" +
         std::to_string(line);
}

std::optional<SourceLocation> StopLocation(const std::string& output) {
  static const std::regex kAt(R"(^(.*) at (\S+):(\d+)$)");
  static const std::regex kSourceLine(R"(^(\d+)\t)");
  std::optional<SourceLocation> location;
  for (const std::string& line : Lines(output)) {
    std::smatch m;
    if (std::regex_match(line, m, kAt)) {
      SourceLocation at;
      std::string name, args, rest;
      std::string call = StripLocationPrefix(m[1].str());
      at.function = SplitCall(call + " ", &name, &args, &rest) ? name : call;
      at.file = m[2].str();
      at.line = std::stoi(m[3].str());
      location = at;
    } else if (std::regex_search(line, m, kSourceLine)) {
      if (!location) location = SourceLocation{};
      location->line = std::stoi(m[1].str());
    }
  }
  return location;
}

std::optional<std::string> PrintedValue(const std::string& output) {
  static const std::regex kValue(R"(^\$\d+ = (.*)$)");
  std::optional<std::string> value;
  for (const std::string& line : Lines(output)) {
    std::smatch m;
    if (std::regex_match(line, m, kValue)) {
      value = m[1].str();
    } else if (value && !line.empty() && (line[0] == ' ' || line[0] == '}')) {
      *value += "\n" + line;  // continuation of a multi-line value
    }
  }
  return value;
}

std::optional<std::string> ReturnedValue(const std::string& output) {
  static const std::regex kReturned(R"(^Value returned is \$\d+ = (.*)$)");
  for (const std::string& line : Lines(output)) {
    std::smatch m;
    if (std::regex_match(line, m, kReturned)) return m[1].str();
  }
  return std::nullopt;
}

std::vector<Frame> Backtrace(const std::string& output) {
  static const std::regex kFrame(R"(^#(\d+)\s+(?:0x[0-9a-f]+ in )?(.*)$)");
  static const std::regex kAt(R"(^ at (\S+):(\d+)$)");
  static const std::regex kFrom(R"(^ from (\S+)$)");
  std::vector<Frame> frames;
  for (const std::string& line : Lines(output)) {
    std::smatch m;
    if (!std::regex_match(line, m, kFrame)) continue;
    Frame frame;
    frame.index = std::stoi(m[1].str());
    std::string name, args, rest;
    if (SplitCall(m[2].str(), &name, &args, &rest)) {
      frame.function = name;
      frame.args = args;
      std::smatch r;
      if (std::regex_match(rest, r, kAt)) {
        frame.file = r[1].str();
        frame.line = std::stoi(r[2].str());
      } else if (std::regex_match(rest, r, kFrom)) {
        frame.library = r[1].str();
      }
    } else {
      frame.function = m[2].str();
    }
    frames.push_back(frame);
  }
  return frames;
}

std::vector<std::pair<std::string, std::string>> Registers(const std::string& output) {
  static const std::regex kRegister(R"(^([a-z][a-z0-9_]*)\s+(\S+)(\s.*)?$)");
  std::vector<std::pair<std::string, std::string>> registers;
  for (const std::string& line : Lines(output)) {
    std::smatch m;
    if (std::regex_match(line, m, kRegister)) registers.emplace_back(m[1].str(), m[2].str());
  }
  return registers;
}

std::string SourcePath(const std::string& source_path) {
  return std::string(kSourceDir) + "/" + source_path;
}

int SourceLine(const std::string& source_path, const std::string& marker) {
  std::ifstream in(SourcePath(source_path));
  if (!in) {
    ADD_FAILURE() << "cannot read " << SourcePath(source_path);
    return 0;
  }
  auto is_name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  };
  std::string line;
  int number = 0;
  int found = 0;
  int matches = 0;
  while (std::getline(in, line)) {
    ++number;
    for (size_t at = line.find(marker); at != std::string::npos; at = line.find(marker, at + 1)) {
      size_t after = at + marker.size();
      if (after < line.size() && is_name_char(line[after])) continue;
      if (matches++ == 0) found = number;
      break;
    }
  }
  if (matches != 1) {
    ADD_FAILURE() << source_path << ": " << matches << " lines contain \"" << marker
                  << "\", want exactly one";
    return 0;
  }
  return found;
}

::testing::AssertionResult StoppedAt(const std::string& output, const std::string& file_name,
                                     int line, const std::string& function) {
  std::optional<SourceLocation> at = StopLocation(output);
  if (!at) return ::testing::AssertionFailure() << "no stop location in:\n" << output;
  bool ok =
      at->line == line && (file_name.empty() || at->file.empty() || at->FileName() == file_name);
  if (!function.empty() && !at->function.empty() && at->function != function) ok = false;
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "stopped at " << at->ToString() << ", want " << (function.empty() ? "?" : function)
         << " at " << (file_name.empty() ? "?" : file_name) << ":" << line << "; output:\n"
         << output;
}

::testing::AssertionResult Printed(const std::string& output, const std::string& value) {
  std::optional<std::string> printed = PrintedValue(output);
  if (printed && *printed == value) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "want \"$N = " << value << "\", got:\n" << output;
}

::testing::AssertionResult NoMotionFailed(const GdbTranscript& t) {
  for (const char* failed : {"diverge", "cannot place", "could not reach", "unsupported"}) {
    if (Contains(t.run.out, failed)) return ::testing::AssertionFailure() << "saw " << failed;
  }
  for (const GdbCommandOutput& c : t.commands) {
    if (Contains(c.output, "rewind: ") && !Contains(c.output, "at the end of its recording")) {
      return ::testing::AssertionFailure() << c.command << " printed: " << c.output;
    }
  }
  return ::testing::AssertionSuccess();
}

std::string WithoutAddresses(const std::string& text) {
  static const std::regex kHex("0x[0-9a-fA-F]+");
  return std::regex_replace(text, kHex, "0x?");
}

}  // namespace rwd::e2e
