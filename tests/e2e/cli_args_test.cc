// The rewind command line (issue 15): every command's arguments go through
// one parser, and a bad command line is refused before anything runs, with
// one line naming the command and the option, a pointer to `rewind help
// COMMAND`, and exit status 2. Also --version, help, the shell's 127/126 for
// a program that cannot run, and the line `record` ends with.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

constexpr int kUsageStatus = 2;

// Refusals come at once; a command that starts serving or waiting instead
// (the old behaviour of `replay -s abc`) runs into this and fails.
RunOptions Quick() {
  RunOptions options;
  options.timeout = std::chrono::seconds(30);
  return options;
}

struct BadCommandLine {
  std::vector<std::string> args;  // TRACE stands for a real trace
  std::string command;            // as named in the message: "replay", "ci"
  std::string message;            // what the message says after "rewind COMMAND: "
};

class CliArgsTest : public E2ETest {
 protected:
  // A real, complete trace, so that a command line that is not refused
  // would go on to replay it.
  const std::string& Trace() {
    if (trace_.empty()) {
      Recording rec = Record("exit_status", {"0"});
      EXPECT_EQ(rec.exit_status, 0) << rec.Describe();
      trace_ = rec.trace;
    }
    return trace_;
  }

  void ExpectRefused(const BadCommandLine& bad) {
    std::vector<std::string> args;
    for (const std::string& a : bad.args) args.push_back(a == "TRACE" ? Trace() : a);
    std::string shown;
    for (const std::string& a : bad.args) shown += " " + a;
    SCOPED_TRACE("rewind" + shown);
    RunResult r = Rewind(args, Quick());
    ASSERT_FALSE(r.timed_out) << "not refused at once: " << r.Describe();
    EXPECT_EQ(r.exit_status, kUsageStatus) << r.Describe();
    EXPECT_EQ(r.out, "") << "nothing runs, so nothing is printed on stdout";
    std::vector<std::string> lines = Lines(r.err);
    ASSERT_EQ(lines.size(), 2u) << "one line saying why, one pointing to help:\n" << r.err;
    EXPECT_EQ(lines[0], "rewind " + bad.command + ": " + bad.message);
    EXPECT_EQ(lines[1], "Try 'rewind help " + bad.command + "' for more information.");
  }

 private:
  std::string trace_;
};

TEST_F(CliArgsTest, BadNumbersAreRefused) {
  const BadCommandLine cases[] = {
      {{"replay", "-s", "abc", "TRACE"},
       "replay",
       "--serve: 'abc' is not a port number (0 to 65535)"},
      {{"replay", "--serve", "65536", "TRACE"},
       "replay",
       "--serve: '65536' is not a port number (0 to 65535)"},
      {{"replay", "-s", "-1", "TRACE"},
       "replay",
       "--serve: '-1' is not a port number (0 to 65535)"},
      {{"replay", "-s", "80x", "TRACE"},
       "replay",
       "--serve: '80x' is not a port number (0 to 65535)"},
      // A word is the name of a checkpoint (rewind_checkpoint).
      {{"replay", "--stdio", "-g", "99999999999999999999", "TRACE"},
       "replay",
       "--goto: '99999999999999999999' is not an event number (0 or more) or a checkpoint's "
       "name"},
      {{"replay", "--stdio", "-g", "-3", "TRACE"},
       "replay",
       "--goto: '-3' is not an event number (0 or more) or a checkpoint's name"},
      {{"replay", "--stdio", "-p", "notapid", "TRACE"},
       "replay",
       "--process: 'notapid' is not a process id (1 to 2147483647)"},
      {{"replay", "--stdio", "-f", "0x10", "TRACE"},
       "replay",
       "--fork: '0x10' is not a process id (1 to 2147483647)"},
      {{"replay", "--stdio", "--checkpoint-interval", "-5", "TRACE"},
       "replay",
       "--checkpoint-interval: '-5' is not a number of milliseconds (1 or more)"},
      {{"replay", "--stdio", "--checkpoint-interval", "0", "TRACE"},
       "replay",
       "--checkpoint-interval: '0' is not a number of milliseconds (1 or more)"},
      {{"replay", "--stdio", "--max-checkpoints", "-1", "TRACE"},
       "replay",
       "--max-checkpoints: '-1' is not a number of checkpoints (0 to 2147483647)"},
      {{"ci", "--keep", "sometimes", "--", "true"},
       "ci",
       "--keep: 'sometimes' is not one of failure, always, never"},
  };
  for (const BadCommandLine& bad : cases) ExpectRefused(bad);
}

TEST_F(CliArgsTest, UnknownOptionsAreRefused) {
  const BadCommandLine cases[] = {
      {{"replay", "--frobnicate", "TRACE"}, "replay", "unknown option '--frobnicate'"},
      {{"replay", "-x", "TRACE", "--", "-batch"}, "replay", "unknown option '-x'"},
      {{"record", "--frobnicate", "true"}, "record", "unknown option '--frobnicate'"},
      {{"ci", "--frobnicate", "--", "true"}, "ci", "unknown option '--frobnicate'"},
      {{"dump", "--frobnicate", "TRACE"}, "dump", "unknown option '--frobnicate'"},
      {{"ps", "--frobnicate", "TRACE"}, "ps", "unknown option '--frobnicate'"},
      {{"pack", "--frobnicate", "TRACE"}, "pack", "unknown option '--frobnicate'"},
      {{"ls", "--frobnicate"}, "ls", "unknown option '--frobnicate'"},
      {{"rm", "--frobnicate", "TRACE"}, "rm", "unknown option '--frobnicate'"},
  };
  for (const BadCommandLine& bad : cases) ExpectRefused(bad);

  RunResult top = Rewind({"--frobnicate"}, Quick());
  EXPECT_EQ(top.exit_status, kUsageStatus) << top.Describe();
  EXPECT_TRUE(AnyLineMatches(top.err, "^rewind: unknown option '--frobnicate'$")) << top.err;
  RunResult unknown = Rewind({"frobnicate"}, Quick());
  EXPECT_EQ(unknown.exit_status, kUsageStatus) << unknown.Describe();
  EXPECT_TRUE(AnyLineMatches(unknown.err, "^rewind: unknown command 'frobnicate'$")) << unknown.err;
}

TEST_F(CliArgsTest, MissingAndExtraArgumentsAreRefused) {
  const BadCommandLine cases[] = {
      {{"record"}, "record", "missing the program to record (PROG)"},
      {{"record", "-o", "TRACE", "--"}, "record", "missing the program to record (PROG)"},
      {{"ci", "--chaos"}, "ci", "missing the command to run (-- COMMAND [ARGS...])"},
      {{"rm"}, "rm", "TRACE is required"},
      {{"replay", "TRACE", "-s"}, "replay", "--serve needs a value (PORT)"},
      {{"pack", "TRACE", "-o"}, "pack", "--output needs a value (FILE)"},
      {{"replay", "-a", "TRACE", "extra"}, "replay", "unexpected argument 'extra'"},
      {{"dump", "TRACE", "extra"}, "dump", "unexpected argument 'extra'"},
      {{"ps", "TRACE", "extra"}, "ps", "unexpected argument 'extra'"},
      {{"pack", "TRACE", "extra"}, "pack", "unexpected argument 'extra'"},
      {{"ls", "extra"}, "ls", "unexpected argument 'extra'"},
      {{"gdbinit", "extra"}, "gdbinit", "unexpected argument 'extra'"},
      {{"help", "replay", "extra"}, "help", "unexpected argument 'extra'"},
  };
  for (const BadCommandLine& bad : cases) ExpectRefused(bad);
}

TEST_F(CliArgsTest, OptionsThatDoNotGoTogetherAreRefused) {
  const BadCommandLine cases[] = {
      {{"replay", "-a", "-s", "0", "TRACE"}, "replay", "--autopilot excludes --serve"},
      {{"replay", "--stdio", "-p", "1", "-f", "1", "TRACE"}, "replay", "--process excludes --fork"},
      {{"replay", "-s", "0", "--stdio", "TRACE"}, "replay", "--serve excludes --stdio"},
      {{"replay", "--crash", "-p", "1", "TRACE"}, "replay", "--process excludes --crash"},
      {{"replay", "--stdio", "-k", "TRACE"}, "replay", "--keep-serving requires --serve"},
      {{"replay", "-a", "-g", "5", "TRACE"}, "replay", "--autopilot excludes --goto"},
      {{"replay", "-a", "TRACE", "--", "-batch"},
       "replay",
       "arguments after -- are for the gdb that rewind starts, and -a starts none"},
  };
  for (const BadCommandLine& bad : cases) ExpectRefused(bad);
}

TEST_F(CliArgsTest, GdbThatCannotRunIsRefusedAtOnce) {
  ExpectRefused({{"replay", "--gdb", "/nonexistent/gdb", "TRACE"},
                 "replay",
                 "--gdb: /nonexistent/gdb: No such file or directory"});
  ExpectRefused({{"replay", "--gdb", "no-such-gdb-anywhere", "TRACE"},
                 "replay",
                 "--gdb: no-such-gdb-anywhere: command not found"});
}

// A gdb that ends without connecting (here `false`) ends the replay with
// its status instead of leaving rewind waiting for a connection.
TEST_F(CliArgsTest, GdbThatQuitsBeforeConnectingEndsTheReplay) {
  RunResult r = Rewind({"replay", "--gdb", "false", Trace()}, Quick());
  ASSERT_FALSE(r.timed_out) << "rewind kept waiting for gdb: " << r.Describe();
  EXPECT_EQ(r.exit_status, 1) << r.Describe();
  EXPECT_TRUE(AnyLineMatches(r.err, "^rewind: gdb exited with status 1 before connecting"))
      << r.err;
}

TEST_F(CliArgsTest, VersionNamesTheTraceFormat) {
  RunResult version = Rewind({"--version"}, Quick());
  EXPECT_EQ(version.exit_status, 0) << version.Describe();
  EXPECT_EQ(version.err, "");
  std::smatch m;
  std::regex line("^rewind [0-9]+\\.[0-9]+\\.[0-9]+ \\(trace format ([0-9]+)\\)\n$");
  ASSERT_TRUE(std::regex_match(version.out, m, line)) << version.out;
  // The format a new trace is written in, as `dump` reads it back.
  RunResult dump = Dump(Trace());
  EXPECT_TRUE(AnyLineMatches(dump.out, "^  format " + m[1].str() + ",")) << dump.out;
}

TEST_F(CliArgsTest, HelpListsTheCommandsAndEachCommandsOptions) {
  RunResult help = Rewind({"help"}, Quick());
  EXPECT_EQ(help.exit_status, 0) << help.Describe();
  for (const char* command :
       {"record", "replay", "ci", "pack", "ls", "rm", "dump", "ps", "gdbinit"}) {
    SCOPED_TRACE(command);
    EXPECT_TRUE(AnyLineMatches(help.out, std::string("^  ") + command + " ")) << help.out;
    RunResult by_help = Rewind({"help", command}, Quick());
    RunResult by_flag = Rewind({command, "--help"}, Quick());
    EXPECT_EQ(by_help.exit_status, 0) << by_help.Describe();
    EXPECT_EQ(by_flag.exit_status, 0) << by_flag.Describe();
    EXPECT_EQ(by_help.out, by_flag.out);
    EXPECT_TRUE(AnyLineMatches(by_help.out, std::string("^usage: rewind ") + command))
        << by_help.out;
  }
  RunResult replay = Rewind({"help", "replay"}, Quick());
  for (const char* option :
       {"--serve", "--stdio", "--checkpoint-interval", "--max-checkpoints", "--process", "--fork",
        "--crash", "--gdb", "--software-watchpoints", "--autopilot", "--goto", "--keep-serving"}) {
    EXPECT_TRUE(Contains(replay.out, option)) << replay.out;
  }
  EXPECT_EQ(Rewind({"--help"}, Quick()).out, help.out);

  RunResult unknown = Rewind({"help", "frobnicate"}, Quick());
  EXPECT_EQ(unknown.exit_status, kUsageStatus) << unknown.Describe();
  EXPECT_TRUE(AnyLineMatches(unknown.err, "^rewind: unknown command 'frobnicate'$")) << unknown.err;
  // Without a command: the list, on stderr, as a usage error.
  RunResult bare = Rewind({}, Quick());
  EXPECT_EQ(bare.exit_status, kUsageStatus) << bare.Describe();
  EXPECT_EQ(bare.err, help.out);
}

// As a shell: 127 when there is no such program, 126 when it is there but
// cannot be executed. Nothing is recorded.
TEST_F(CliArgsTest, ProgramThatCannotRunGetsTheShellsStatus) {
  std::string not_executable = temp_dir() + "/not-executable";
  std::ofstream(not_executable) << "#!/bin/sh\necho never\n";
  chmod(not_executable.c_str(), 0644);
  struct Case {
    std::vector<std::string> args;
    int status;
    std::string message;
  };
  const Case cases[] = {
      {{"record", "no-such-program-anywhere"},
       127,
       "rewind: no-such-program-anywhere: command not found"},
      {{"record", "/nonexistent/program", "-l"},
       127,
       "rewind: /nonexistent/program: No such file or directory"},
      {{"record", not_executable}, 126, "rewind: " + not_executable + ": Permission denied"},
      {{"record", temp_dir()}, 126, "rewind: " + temp_dir() + ": Is a directory"},
      {{"ci", "-o", temp_dir() + "/artifacts", "--", "no-such-program-anywhere"},
       127,
       "rewind: no-such-program-anywhere: command not found"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args[1]);
    RunResult r = Rewind(c.args, Quick());
    EXPECT_EQ(r.exit_status, c.status) << r.Describe();
    EXPECT_EQ(r.err, c.message + "\n");
    EXPECT_EQ(r.out, "");
  }
  EXPECT_FALSE(std::filesystem::exists(data_home() + "/rewind/traces/latest"))
      << "a program that cannot run leaves no trace";
  EXPECT_FALSE(std::filesystem::exists(temp_dir() + "/artifacts"));
}

TEST_F(CliArgsTest, RecordSaysWhereTheTraceWent) {
  const std::string trace = NewPath("trace");
  RunResult named = Rewind({"record", "-o", trace, Program("exit_status"), "3"});
  EXPECT_EQ(named.exit_status, 3) << named.Describe();
  std::vector<std::string> lines = Lines(named.err);
  ASSERT_FALSE(lines.empty()) << named.Describe();
  EXPECT_EQ(lines.back(), "rewind: trace saved in " + trace);
  EXPECT_EQ(ProgramStderr(named.err), "exit_status: exiting with 3\n");

  RunResult unnamed = Rewind({"record", Program("exit_status")});
  EXPECT_EQ(unnamed.exit_status, 0) << unnamed.Describe();
  lines = Lines(unnamed.err);
  ASSERT_FALSE(lines.empty()) << unnamed.Describe();
  const std::string default_dir = data_home() + "/rewind/traces/exit_status-0";
  EXPECT_EQ(lines.back(), "rewind: trace saved in " + default_dir);
  EXPECT_TRUE(std::filesystem::is_directory(default_dir));
  RunResult replay = ReplayAutopilot(default_dir, Quick());
  EXPECT_EQ(replay.exit_status, 0) << replay.Describe();
}

// Options end at the program: whatever follows is the program's own, even
// words that are rewind's options too.
TEST_F(CliArgsTest, WordsAfterTheProgramAreTheProgramsOwn) {
  Recording rec = Record("exit_status", {"4", "-o", "elsewhere", "--chaos", "--help", "--"});
  EXPECT_EQ(rec.exit_status, 4) << rec.Describe();
  EXPECT_EQ(rec.out,
            "arg 1: 4\narg 2: -o\narg 3: elsewhere\narg 4: --chaos\narg 5: --help\n"
            "arg 6: --\n");
  EXPECT_FALSE(std::filesystem::exists(temp_dir() + "/elsewhere"));

  // `rewind record ls -l DIR` lists DIR as `ls -l DIR` does.
  const std::string dir = temp_dir() + "/listed";
  std::filesystem::create_directory(dir);
  std::ofstream(dir + "/a-file") << "some bytes\n";
  const std::string trace = NewPath("trace-ls");
  RunResult ls = Rewind({"record", "-o", trace, "ls", "-l", dir});
  RunResult native = RunCommand({"ls", "-l", dir});
  EXPECT_EQ(ls.exit_status, 0) << ls.Describe();
  EXPECT_TRUE(AnyLineMatches(ls.out, "^-rw.* a-file$")) << ls.out;
  EXPECT_TRUE(SameBytes(native.out, ls.out));
  RunResult replay = ReplayAutopilot(trace, Quick());
  EXPECT_EQ(replay.exit_status, 0) << replay.Describe();
  EXPECT_TRUE(SameBytes(ls.out, replay.out));

  // ci: the runner's options, after --, are the runner's.
  RunResult ci = Rewind({"ci", "-o", temp_dir() + "/artifacts", "--", "ls", "-l", dir}, Quick());
  EXPECT_EQ(ci.exit_status, 0) << ci.Describe();
  EXPECT_TRUE(SameBytes(native.out, ci.out));
}

}  // namespace
}  // namespace rwd::e2e
