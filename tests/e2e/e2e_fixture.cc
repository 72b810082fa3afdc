#include "tests/e2e/e2e_fixture.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <sstream>

#include "base/signal_name.h"

extern char** environ;

namespace rwd::e2e {
namespace {

constexpr char kRewindBinary[] = REWIND_BINARY;
constexpr char kProgramsDir[] = REWIND_PROGRAMS_DIR;
constexpr char kExamplesDir[] = REWIND_EXAMPLES_DIR;

// How long to keep reading output after the process exited, in case a
// descendant still holds the pipes (it is killed afterwards).
constexpr int kDrainAfterExitMs = 2000;

std::string Escape(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// PATH lookup done in the parent so the child only calls execve.
std::string ResolveExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return name;
}

std::vector<std::string> BuildEnvironment(const std::vector<std::string>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (const std::string& entry : overrides) {
    std::string key = entry.substr(0, entry.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    env.push_back(entry);
  }
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool RunResult::Crashed() const {
  if (timed_out) return false;
  if (term_signal != 0) return true;
  for (int signo : {SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE}) {
    if (exit_status == 128 + signo) return true;
  }
  return false;
}

std::string RunResult::Describe() const {
  std::string what;
  if (timed_out) {
    what = "timed out (killed)";
  } else if (term_signal != 0) {
    what = "killed by " + SignalName(term_signal);
  } else {
    what = "exit " + std::to_string(exit_status);
    if (exit_status > 128) what += " (128+" + SignalName(exit_status - 128) + ")";
  }
  constexpr size_t kTail = 3000;
  std::string tail = err.size() > kTail ? "..." + err.substr(err.size() - kTail) : err;
  return what + "; stderr:\n" + tail;
}

RunResult RunCommand(const std::vector<std::string>& argv, const RunOptions& options) {
  RunResult result;
  // A child that exits while we still write its stdin must not kill us.
  signal(SIGPIPE, SIG_IGN);

  std::vector<std::string> args = argv;
  std::string path = ResolveExecutable(args.at(0));
  std::vector<std::string> env = BuildEnvironment(options.env);
  std::vector<char*> c_args = CStrings(args);
  std::vector<char*> c_env = CStrings(env);

  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    result.err = std::string("pipe2: ") + std::strerror(errno);
    return result;
  }
  pid_t pid = fork();
  if (pid < 0) {
    result.err = std::string("fork: ") + std::strerror(errno);
    return result;
  }
  if (pid == 0) {
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    if (!options.cwd.empty() && chdir(options.cwd.c_str()) != 0) {
      std::string msg = "chdir " + options.cwd + ": " + std::strerror(errno) + "\n";
      ssize_t ignored = write(STDERR_FILENO, msg.data(), msg.size());
      (void)ignored;
      _exit(127);
    }
    execve(path.c_str(), c_args.data(), c_env.data());
    std::string msg = "exec " + path + ": " + std::strerror(errno) + "\n";
    ssize_t ignored = write(STDERR_FILENO, msg.data(), msg.size());
    (void)ignored;
    _exit(127);
  }
  setpgid(pid, pid);  // also in the parent, so the group exists before any kill
  close(in[0]);
  close(out[1]);
  close(err[1]);
  SetNonBlocking(in[1]);
  SetNonBlocking(out[0]);
  SetNonBlocking(err[0]);

  size_t stdin_written = 0;
  int stdin_fd = in[1];
  if (options.stdin_data.empty()) {
    close(stdin_fd);
    stdin_fd = -1;
  }
  int out_fd = out[0], err_fd = err[0];
  const int64_t deadline =
      NowMs() + std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout).count();
  int64_t drain_deadline = -1;
  int wait_status = 0;
  bool reaped = false;

  while (out_fd >= 0 || err_fd >= 0 || !reaped) {
    if (!reaped) {
      pid_t r = waitpid(pid, &wait_status, WNOHANG);
      if (r == pid) {
        reaped = true;
        drain_deadline = NowMs() + kDrainAfterExitMs;
        if (stdin_fd >= 0) {
          close(stdin_fd);
          stdin_fd = -1;
        }
      }
    }
    int64_t now = NowMs();
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
    if (reaped && (out_fd < 0 && err_fd < 0)) break;
    if (reaped && now >= drain_deadline) break;

    pollfd fds[3];
    int n = 0;
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    if (stdin_fd >= 0) fds[n++] = {stdin_fd, POLLOUT, 0};
    // Short timeout: the loop also polls waitpid for a child whose pipes a
    // descendant keeps open.
    poll(fds, n, 50);
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == stdin_fd) {
        ssize_t w = write(stdin_fd, options.stdin_data.data() + stdin_written,
                          options.stdin_data.size() - stdin_written);
        if (w > 0) stdin_written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) stdin_written = options.stdin_data.size();
        if (stdin_written == options.stdin_data.size()) {
          close(stdin_fd);
          stdin_fd = -1;
        }
        continue;
      }
      int& fd = fds[i].fd == out_fd ? out_fd : err_fd;
      std::string& sink = fds[i].fd == out_fd ? result.out : result.err;
      char buf[65536];
      for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r > 0) {
          sink.append(buf, static_cast<size_t>(r));
          continue;
        }
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
          close(fd);
          fd = -1;
        }
        break;
      }
    }
  }

  // Whatever is left of the process group (a timed-out child, a tracee
  // that outlived its tracer) goes now.
  kill(-pid, SIGKILL);
  if (!reaped) {
    kill(pid, SIGKILL);
    waitpid(pid, &wait_status, 0);
  }
  for (int fd : {stdin_fd, out_fd, err_fd}) {
    if (fd >= 0) close(fd);
  }
  if (result.timed_out) {
    result.exit_status = 128 + SIGKILL;
    result.term_signal = SIGKILL;
  } else if (WIFEXITED(wait_status)) {
    result.exit_status = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    result.term_signal = WTERMSIG(wait_status);
    result.exit_status = 128 + result.term_signal;
  }
  return result;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string ProgramStderr(const std::string& err) {
  std::string kept;
  size_t start = 0;
  while (start < err.size()) {
    size_t end = err.find('\n', start);
    size_t next = end == std::string::npos ? err.size() : end + 1;
    if (err.compare(start, 7, "rewind:") != 0) kept.append(err, start, next - start);
    start = next;
  }
  return kept;
}

::testing::AssertionResult SameBytes(const std::string& expected, const std::string& actual) {
  if (expected == actual) return ::testing::AssertionSuccess();
  size_t at = 0;
  while (at < expected.size() && at < actual.size() && expected[at] == actual[at]) ++at;
  size_t line = 1 + static_cast<size_t>(std::count(expected.begin(), expected.begin() + at, '\n'));
  size_t from = at > 60 ? at - 60 : 0;
  return ::testing::AssertionFailure()
         << "outputs differ at byte " << at << " (line " << line << "); expected "
         << expected.size() << " bytes, got " << actual.size() << " bytes\n"
         << "  expected: ..." << Escape(expected.substr(from, 160)) << "\n"
         << "  actual:   ..." << Escape(actual.substr(from, 160));
}

::testing::AssertionResult Contains(const std::string& text, const std::string& needle,
                                    bool ignore_case) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  bool found = ignore_case ? lower(text).find(lower(needle)) != std::string::npos
                           : text.find(needle) != std::string::npos;
  if (found) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << needle << "\" not found in:\n" << text;
}

::testing::AssertionResult AnyLineMatches(const std::string& text, const std::string& pattern) {
  std::regex re(pattern);
  for (const std::string& line : Lines(text)) {
    if (std::regex_search(line, re)) return ::testing::AssertionSuccess();
  }
  constexpr size_t kHead = 4000;
  return ::testing::AssertionFailure()
         << "no line matches /" << pattern << "/ in:\n"
         << (text.size() > kHead ? text.substr(0, kHead) + "\n..." : text);
}

bool PtraceAvailable(std::string* reason) {
  static int cached = -1;  // -1 unknown, 0 no, 1 yes
  static std::string cached_reason;
  if (cached < 0) {
    pid_t pid = fork();
    if (pid == 0) {
      if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) _exit(100 + (errno & 0x1f));
      raise(SIGSTOP);
      _exit(0);
    }
    int status = 0;
    if (pid < 0) {
      cached = 0;
      cached_reason = std::string("fork failed: ") + std::strerror(errno);
    } else if (waitpid(pid, &status, 0) == pid && WIFSTOPPED(status)) {
      cached = 1;
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    } else {
      cached = 0;
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
      cached_reason = "ptrace(PTRACE_TRACEME) is not permitted here";
      if (code >= 100) cached_reason += std::string(": ") + std::strerror(code - 100);
      cached_reason += " (container without CAP_SYS_PTRACE, or kernel.yama.ptrace_scope=3?)";
    }
  }
  if (reason) *reason = cached_reason;
  return cached == 1;
}

void E2ETest::SetUp() {
  std::string reason;
  if (!PtraceAvailable(&reason)) GTEST_SKIP() << "rewind needs ptrace: " << reason;
  ASSERT_EQ(access(kRewindBinary, X_OK), 0) << kRewindBinary << " is not built";

  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  std::replace(name.begin(), name.end(), '/', '_');
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/rewind-e2e-" + name + "-XXXXXX";
  ASSERT_NE(mkdtemp(pattern.data()), nullptr) << pattern << ": " << std::strerror(errno);
  temp_dir_ = pattern;
}

void E2ETest::TearDown() {
  if (temp_dir_.empty()) return;
  if (std::getenv("REWIND_E2E_KEEP")) {
    std::printf("[ kept     ] %s\n", temp_dir_.c_str());
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(temp_dir_, ignored);
}

std::string E2ETest::Program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  return std::string(kProgramsDir) + "/" + name;
}

std::string E2ETest::Example(const std::string& name) {
  return std::string(kExamplesDir) + "/" + name;
}

std::string E2ETest::NewPath(const std::string& label) {
  std::string base = label.substr(label.rfind('/') + 1);
  return temp_dir_ + "/" + base + "-" + std::to_string(++path_counter_);
}

RunOptions E2ETest::WithTestEnv(const RunOptions& options) const {
  RunOptions with = options;
  with.env.insert(with.env.begin(), "XDG_DATA_HOME=" + data_home());
  // Replay's unpacked file copies (trace/file_cache.h): per test, so every
  // test unpacks what it replays and leaves nothing behind.
  with.env.insert(with.env.begin(), "XDG_CACHE_HOME=" + temp_dir_ + "/xdg-cache");
  return with;
}

Recording E2ETest::Record(const std::string& program, const std::vector<std::string>& args,
                          const RunOptions& options) {
  Recording rec;
  rec.trace = NewPath("trace-" + program);
  std::vector<std::string> argv = {"record", "-o", rec.trace, Program(program)};
  argv.insert(argv.end(), args.begin(), args.end());
  static_cast<RunResult&>(rec) = Rewind(argv, options);
  return rec;
}

RunResult E2ETest::ReplayAutopilot(const std::string& trace, const RunOptions& options) {
  std::vector<std::string> argv = {"replay", "-a"};
  if (!trace.empty()) argv.push_back(trace);
  return Rewind(argv, options);
}

RunResult E2ETest::Dump(const std::string& trace) {
  std::vector<std::string> argv = {"dump"};
  if (!trace.empty()) argv.push_back(trace);
  return Rewind(argv);
}

RunResult E2ETest::Rewind(const std::vector<std::string>& args, const RunOptions& options) {
  std::vector<std::string> argv = {kRewindBinary};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, WithTestEnv(options));
}

RunResult E2ETest::RunNative(const std::string& program, const std::vector<std::string>& args,
                             const RunOptions& options) {
  std::vector<std::string> argv = {Program(program)};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, WithTestEnv(options));
}

std::vector<RunResult> E2ETest::ExpectReplaysIdentically(const Recording& rec, int times,
                                                         const RunOptions& options) {
  std::vector<RunResult> replays;
  // A recorded crash exits 128+N; only rewind itself dying is a failure here.
  if (rec.timed_out || rec.term_signal != 0) {
    ADD_FAILURE() << "recording failed: " << rec.Describe();
    return replays;
  }
  for (int i = 1; i <= times; ++i) {
    SCOPED_TRACE("replay " + std::to_string(i) + " of " + rec.trace);
    RunResult replay = ReplayAutopilot(rec.trace, options);
    EXPECT_FALSE(replay.timed_out) << replay.Describe();
    EXPECT_EQ(replay.term_signal, 0) << replay.Describe();
    EXPECT_EQ(replay.exit_status, rec.exit_status) << replay.Describe();
    EXPECT_FALSE(Contains(replay.err, "diverged")) << replay.Describe();
    EXPECT_TRUE(SameBytes(rec.out, replay.out)) << "stdout of the replay";
    EXPECT_TRUE(SameBytes(ProgramStderr(rec.err), ProgramStderr(replay.err)))
        << "program stderr of the replay";
    bool timed_out = replay.timed_out;
    replays.push_back(std::move(replay));
    if (timed_out) break;
  }
  return replays;
}

}  // namespace rwd::e2e
