// End-to-end test fixture: runs build/rewind and test programs for real.
//
// A test reads like a story:
//
//   Recording rec = Record("random_bytes");
//   RunResult replay = ReplayAutopilot(rec.trace);
//   EXPECT_EQ(replay.out, rec.out);
//
// Every command is started with fork/exec (no shell) in its own process group,
// with stdin from a pipe (empty unless the caller gives input), and its
// stdout and stderr captured separately. A command still running after its
// timeout is killed with its whole process group and reported as timed out.
//
// Each test gets a fresh temporary directory (traces, scratch files, and
// XDG_DATA_HOME for rewind's default trace location), removed after the
// test unless REWIND_E2E_KEEP is set in the environment. XDG_CACHE_HOME (where
// replay unpacks file copies) is per test too. When ptrace is not
// available here (containers without CAP_SYS_PTRACE, Yama scope 3), SetUp
// skips the test and says why. Single-threaded; one fixture per test.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace rwd::e2e {

struct RunResult {
  // Shell convention: the exit code, or 128+N when killed by signal N.
  int exit_status = -1;
  // Signal that killed the process itself, 0 when it exited. A rewind that
  // reproduces a recorded crash exits with 128+N and has term_signal 0.
  int term_signal = 0;
  bool timed_out = false;
  std::string out;
  std::string err;

  // rewind itself died of a fault or abort instead of reporting an error.
  bool Crashed() const;
  // "exit 0" / "killed by SIGSEGV" / "timed out", plus stderr, for messages.
  std::string Describe() const;
};

// The result of `rewind record`: the program's output as rewind passed it
// through, and the trace directory.
struct Recording : RunResult {
  std::string trace;
};

struct RunOptions {
  std::string stdin_data;
  std::chrono::seconds timeout{120};
  // Extra "NAME=value" entries, added to (or replacing in) the inherited environment.
  std::vector<std::string> env;
  // Working directory of the command; empty: the test's own.
  std::string cwd;
};

// An env entry for RunOptions: records with the syscall buffer off, for the
// tests of what a syscall's ptrace stops do (an event per syscall, stepping
// through a syscall instruction), whatever REWIND_SYSCALLBUF the suite has.
inline constexpr char kSyscallBufferOff[] = "REWIND_SYSCALLBUF=0";
inline RunOptions SyscallBufferOff() {
  RunOptions options;
  options.env = {kSyscallBufferOff};
  return options;
}

// Runs argv[0] (an absolute path or a name searched in PATH) with argv.
RunResult RunCommand(const std::vector<std::string>& argv, const RunOptions& options = {});

// Lines of `text` (without the trailing newlines).
std::vector<std::string> Lines(const std::string& text);
// `err` without rewind's own messages (lines starting with "rewind:"), i.e.
// what the traced program wrote to stderr.
std::string ProgramStderr(const std::string& err);
// Compares outputs; on mismatch says where they first differ, with context.
::testing::AssertionResult SameBytes(const std::string& expected, const std::string& actual);
// `text` contains `needle` (case-insensitive when asked).
::testing::AssertionResult Contains(const std::string& text, const std::string& needle,
                                    bool ignore_case = false);
// Some line of `text` matches the ECMAScript regex `pattern` (regex_search:
// anchor with ^ and $ as needed).
::testing::AssertionResult AnyLineMatches(const std::string& text, const std::string& pattern);
// True when ptrace can be used here; otherwise fills `reason`.
bool PtraceAvailable(std::string* reason);

class E2ETest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Absolute path of a test program (build/tests/programs/NAME), an example
  // (build/examples/NAME) or, when `name` contains '/', the path itself.
  static std::string Program(const std::string& name);
  static std::string Example(const std::string& name);

  // A path in this test's temporary directory that does not exist yet.
  std::string NewPath(const std::string& label);

  // `rewind record -o <new trace dir> PROGRAM ARGS...` where PROGRAM is
  // resolved with Program().
  Recording Record(const std::string& program, const std::vector<std::string>& args = {},
                   const RunOptions& options = {});
  // `rewind replay -a TRACE` (no TRACE: the default, latest trace).
  RunResult ReplayAutopilot(const std::string& trace = "", const RunOptions& options = {});
  // `rewind dump TRACE`.
  RunResult Dump(const std::string& trace = "");
  // `rewind ARGS...`
  RunResult Rewind(const std::vector<std::string>& args, const RunOptions& options = {});
  // The program run natively (no rewind), same environment as under rewind.
  RunResult RunNative(const std::string& program, const std::vector<std::string>& args = {},
                      const RunOptions& options = {});

  // Replays `rec` `times` times; each replay must reproduce stdout and the
  // program's stderr byte for byte, exit with the recorded status and not
  // report a divergence. Stops at the first replay that timed out, so a hung
  // replayer costs one timeout. Returns the replays for further checks.
  std::vector<RunResult> ExpectReplaysIdentically(const Recording& rec, int times = 2,
                                                  const RunOptions& options = {});

  const std::string& temp_dir() const { return temp_dir_; }
  // XDG_DATA_HOME given to every command this fixture runs.
  std::string data_home() const { return temp_dir_ + "/xdg-data"; }

  // `options` plus what every command of this test gets (its own XDG
  // directories), for commands that start rewind themselves.
  RunOptions WithTestEnv(const RunOptions& options) const;

 private:
  std::string temp_dir_;
  int path_counter_ = 0;
};

}  // namespace rwd::e2e
