// gdb driver for end-to-end tests: runs a real gdb in batch mode, either
// against `rewind replay --stdio TRACE` or on a program it runs natively (the
// `record full` oracle), and splits what gdb printed by command.
//
//   GdbTranscript t = RunGdbOnReplay(rec.trace, Program("gdb_forward"),
//                                    {"break Leaf", "continue", "bt"});
//   std::optional<SourceLocation> at = StopLocation(t.Output(1));
//   std::vector<Frame> frames = Backtrace(t.Output(2));
//
// Each command is preceded by an `echo` of a marker line, and gdb's stdout
// and stderr go to one pipe, so the output of command i (errors included, in
// order) is what gdb printed between marker i and the next. The replay
// server's stderr is gdb's, so rewind's own messages ("rewind: ...") show up
// in the output of the command during which they were printed.
//
// gdb runs with -nx (no init files), pagination and line wrapping off, and
// `set sysroot /`: the libraries the trace mapped are read from this host
// (the same files), which is several times faster than fetching them
// through the protocol's vFile packets; a test that wants those packets sets
// `remote_files`. Every run has a timeout; gdb's process group is killed when
// it expires, so a hanging server fails a test instead of blocking it. gdb
// starts the server in a session of its own; while gdb runs, the test
// process is the subreaper of its descendants, and whatever is left of them
// a few seconds after gdb exits (a hung server, its tracees) is killed.
// Not thread-safe: one gdb at a time per test process.
//
// The parsers understand the text gdb 13 prints; they return nothing (or an
// empty list) when the text is not there, so tests fail with the transcript.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {

struct GdbCommandOutput {
  std::string command;
  std::string output;
};

struct GdbTranscript {
  RunResult run;                           // the gdb process; run.out holds everything
  std::string preamble;                    // output of the set-up commands
  std::vector<GdbCommandOutput> commands;  // one per command, in order

  // Output of command `index`; an empty string (and a test failure) when
  // gdb did not get that far.
  const std::string& Output(size_t index) const;
  // The whole transcript with the exit status, for failure messages.
  std::string Describe() const;
};

struct GdbOptions {
  std::chrono::seconds timeout{60};
  // Fetch the program's libraries through the protocol (vFile) instead of
  // reading them from this host.
  bool remote_files = false;
  // Extra arguments for `rewind replay` (before the trace).
  std::vector<std::string> replay_args;
  // Commands run before `commands` (after connecting, for a replay) whose
  // output goes to the preamble, e.g. {"break main", "run"}.
  std::vector<std::string> setup;
  // Extra "NAME=value" environment entries for gdb (and the server it starts).
  std::vector<std::string> env;
};

// gdb PROGRAM with `target extended-remote | REWIND replay --stdio REPLAY_ARGS TRACE`,
// then the set-up commands, then `commands`. An empty PROGRAM: gdb gets the
// executable from the server.
GdbTranscript RunGdbOnReplay(const std::string& trace, const std::string& program,
                             const std::vector<std::string>& commands,
                             const GdbOptions& options = {});

// gdb PROGRAM, the set-up commands (which start it, e.g. "run"), then
// `commands`: the program runs natively under gdb.
GdbTranscript RunGdbNative(const std::string& program, const std::vector<std::string>& commands,
                           const GdbOptions& options = {});

// True when a gdb can be run here; otherwise fills `reason`.
bool GdbAvailable(std::string* reason);

// An E2ETest that drives gdb: skipped, saying why, where there is no gdb.
class GdbTest : public E2ETest {
 protected:
  void SetUp() override;
};

// A place in the source, as gdb reports stops and frames.
struct SourceLocation {
  std::string function;  // as gdb prints it, e.g. "Leaf" or "(anonymous namespace)::Score"
  std::string file;      // as gdb prints it (absolute path); empty if gdb did not say
  int line = 0;

  std::string FileName() const;  // the last component of `file`
  std::string ToString() const;  // "function at file.c:12"
};

// Where the program stopped, from the output of a command that moved it
// (continue, step, finish, reverse-*, a watchpoint hit) or of `frame`: the
// last "... at FILE:LINE" line gives function and file, and the last source
// line printed ("LINE<tab>text") gives the line. A step within one function
// prints only the source line; then `function` and `file` are empty. The
// prefix gdb gives stops in multithreaded programs ("Thread 2 "worker-1"
// hit Breakpoint 1, ") is not part of the function.
std::optional<SourceLocation> StopLocation(const std::string& output);

// The value of the last `print`: "$3 = 42" gives "42" (multi-line values
// are joined with newlines).
std::optional<std::string> PrintedValue(const std::string& output);

// "Value returned is $N = V" from `finish`.
std::optional<std::string> ReturnedValue(const std::string& output);

struct Frame {
  int index = -1;
  std::string function;  // "??" when gdb has no name
  std::string args;      // the text between the parentheses after the name
  std::string file;      // with debug info: the source file, else empty
  int line = 0;
  std::string library;  // without debug info: the object after "from", else empty
};

// The frames of `bt` (or `frame`) output, in order.
std::vector<Frame> Backtrace(const std::string& output);

// Name -> raw value column of `info registers` output ("rax 0x1c 28" gives
// "0x1c").
std::vector<std::pair<std::string, std::string>> Registers(const std::string& output);

// The number of the first line of `source_path` (relative to the source
// tree) that contains `marker`; fails the test and returns 0 if there is not
// exactly one such line.
int SourceLine(const std::string& source_path, const std::string& marker);
// The absolute path of a file in the source tree.
std::string SourcePath(const std::string& source_path);

// The output shows a stop at `line` (and in `function` and a file named
// `file_name`, unless those are empty or gdb did not print them because
// the stop stayed in the same function).
::testing::AssertionResult StoppedAt(const std::string& output, const std::string& file_name,
                                     int line, const std::string& function = "");

// The last `print` in `output` shows "$N = `value`".
::testing::AssertionResult Printed(const std::string& output, const std::string& value);

// No motion of the session failed: the replay neither diverged, nor lost or
// could not place a recorded point, and no command printed an error of
// rewind's ("rewind: ...") other than reaching the end of the recording.
::testing::AssertionResult NoMotionFailed(const GdbTranscript& t);

// `text` with every hexadecimal number (0x...) replaced by "0x?", for
// comparing output of runs whose stack addresses differ.
std::string WithoutAddresses(const std::string& text);

}  // namespace rwd::e2e
