// Time travel that leaves every process as it was (issue #10), on real
// process trees under gdb: checkpoints taken every millisecond while a shell
// forks helpers and execs a program, while tar runs gzip, while make -j2 runs
// two compilers; `continue` to the end and reverse-continues to breakpoints
// must never diverge from the recording. Also gdb's `run` (back to the start
// of the recording, nothing run for real) and interrupting a reverse-continue
// that would re-execute 10^9 breakpoint hits.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "arch/arch.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

// A checkpoint at nearly every event boundary where one is possible.
const std::vector<std::string> kDenseCheckpoints = {"--checkpoint-interval", "1"};

int64_t CheckpointsTaken(const std::string& stats) {
  static const std::regex kTaken(R"(checkpoints: \d+ kept, (\d+) taken)");
  std::smatch m;
  if (!std::regex_search(stats, m, kTaken)) return -1;
  return std::stoll(m[1].str());
}

// Nothing in the session reports a divergence or a failed checkpoint.
::testing::AssertionResult NoDivergence(const GdbTranscript& t) {
  for (const char* bad : {"diverged", "divergence", "no checkpoint at event", "rewind: error"}) {
    if (Contains(t.run.out, bad, /*ignore_case=*/true)) {
      return ::testing::AssertionFailure() << "the session says '" << bad << "'";
    }
  }
  return ::testing::AssertionSuccess();
}

class GdbFidelityTest : public GdbTest {
 protected:
  Recording RecordTree(const std::string& program, const std::vector<std::string>& args,
                       const RunOptions& options = {}) {
    RunOptions bounded = options;
    bounded.timeout = std::chrono::seconds(120);
    return Record(program, args, bounded);
  }

  // A process tree whose first process stops at `breakpoint` three times,
  // told apart by the output of `probe` (p1, p2, p3): two reverse-continues
  // from the third hit must land exactly on the second and the first,
  // `continue` must reach the third again and then the end, all with a
  // checkpoint every millisecond.
  void ExpectStableTimeTravel(const Recording& rec, const std::string& program,
                              const std::string& breakpoint, const std::string& probe,
                              const std::string& exited) {
    GdbOptions options;
    options.replay_args = kDenseCheckpoints;
    // gdb takes the running process's executable (the shell, before the
    // exec) over the one it was given; the breakpoints are for the program.
    options.setup = {"file " + program};
    options.timeout = std::chrono::seconds(240);
    GdbTranscript t = RunGdbOnReplay(rec.trace, program,
                                     {
                                         "break " + breakpoint,  // 0
                                         "continue",             // 1
                                         probe,                  // 2: p1
                                         "continue",             // 3
                                         probe,                  // 4: p2
                                         "continue",             // 5
                                         probe,                  // 6: p3
                                         "reverse-continue",     // 7
                                         probe,                  // 8: p2
                                         "reverse-continue",     // 9
                                         probe,                  // 10: p1
                                         "continue",             // 11
                                         "continue",             // 12
                                         probe,                  // 13: p3
                                         "delete",               // 14
                                         "monitor stats",        // 15
                                         "continue",             // 16: the end
                                     },
                                     options);
    SCOPED_TRACE(t.Describe());
    EXPECT_TRUE(NoDivergence(t));
    const std::string& p1 = t.Output(2);
    const std::string& p2 = t.Output(4);
    const std::string& p3 = t.Output(6);
    ASSERT_FALSE(p1.empty());
    ASSERT_NE(p1, p2);
    ASSERT_NE(p2, p3);
    ASSERT_NE(p1, p3);
    EXPECT_EQ(t.Output(8), p2);
    EXPECT_EQ(t.Output(10), p1);
    EXPECT_EQ(t.Output(13), p3);
    // Checkpoints really were taken while the tree ran.
    EXPECT_GE(CheckpointsTaken(t.Output(15)), 3);
    EXPECT_TRUE(Contains(t.Output(16), exited));
  }
};

// pyenv's shims: a shell forks helpers, then execs the real program.
TEST_F(GdbFidelityTest, ShellForksHelpersThenExecs) {
  const std::string script = SourcePath("tests/programs/fork_then_exec.sh");
  const std::string program = Program("gdb_rounds_nopie");
  Recording rec = RecordTree("/bin/sh", {script, program});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(Contains(rec.out, "fork_then_exec: helper-5\n")) << rec.out;
  ASSERT_TRUE(Contains(rec.out, "round 3: +")) << rec.out;
  // Add runs three times between the same two events (stdout is a pipe).
  ExpectStableTimeTravel(rec, program, "Add", "output round", "exited normally");
}

// tar runs gzip as a child; gdb follows tar.
TEST_F(GdbFidelityTest, TarRunsGzip) {
  const std::string dir = NewPath("tree");
  fs::create_directories(dir + "/sub");
  for (int i = 0; i < 4; ++i) {
    std::ofstream(dir + "/file" + std::to_string(i)) << "contents of file " << i << "\n";
    std::ofstream(dir + "/sub/more" + std::to_string(i)) << std::string(3000, 'a' + i);
  }
  const std::string archive = NewPath("out.tgz");
  Recording rec = RecordTree("/bin/tar", {"czf", archive, "-C", dir, "."});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(fs::exists(archive));
  fs::remove(archive);
  // tar closes files it archived; libc's close is where gdb stops.
  ExpectStableTimeTravel(rec, "/bin/tar", "close", "monitor when", "exited normally");
  EXPECT_FALSE(fs::exists(archive)) << "the replay wrote the archive for real";
}

// The same with the syscall buffer: tar's closes are buffered, so its
// stops at close share an event and are told apart by the buffered
// syscalls made since it (`monitor when`).
TEST_F(GdbFidelityTest, TarRunsGzipWithTheSyscallBuffer) {
  if (!arch::HostArch().HasSyscallBuffer())
    GTEST_SKIP() << "no syscall buffer on this architecture";
  const std::string dir = NewPath("tree");
  fs::create_directories(dir);
  for (int i = 0; i < 4; ++i) {
    std::ofstream(dir + "/file" + std::to_string(i)) << "contents of file " << i << "\n";
  }
  RunOptions buffered;
  buffered.env = {"REWIND_SYSCALLBUF=1"};
  Recording rec = RecordTree("/bin/tar", {"czf", NewPath("out.tgz"), "-C", dir, "."}, buffered);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(AnyLineMatches(Dump(rec.trace).out, "syscall-batch .*close")) << "no buffered close";
  ExpectStableTimeTravel(rec, "/bin/tar", "close", "monitor when", "exited normally");
}

// make -j2 runs two compilers at once, then the linker.
TEST_F(GdbFidelityTest, ParallelMake) {
  const std::string out_dir = NewPath("make-out");
  ASSERT_TRUE(fs::create_directory(out_dir));
  RunOptions options;
  // Not a sub-make of whatever runs the tests (jobserver descriptors).
  options.env = {"MAKEFLAGS=", "MFLAGS=", "MAKELEVEL="};
  Recording rec =
      RecordTree("/usr/bin/make",
                 {"-j2", "-C", SourcePath("tests/programs/make_multi"), "OUT=" + out_dir}, options);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(Contains(rec.out, "cc -o " + out_dir + "/multi")) << rec.out;
  ASSERT_TRUE(fs::exists(out_dir + "/multi"));
  fs::remove_all(out_dir);
  ASSERT_TRUE(fs::create_directory(out_dir));
  // Without a debugger or checkpoints first: the time travel below is only
  // meaningful when the plain replay works.
  RunResult replay = ReplayAutopilot(rec.trace);
  ASSERT_EQ(replay.exit_status, 0) << replay.Describe();
  EXPECT_TRUE(SameBytes(rec.out, replay.out));
  ExpectStableTimeTravel(rec, "/usr/bin/make", "close", "monitor when", "exited normally");
  EXPECT_FALSE(fs::exists(out_dir + "/multi")) << "the replay linked for real";
}

// gdb's `run` goes back to the start of the recording, as in rr: the same
// value as the first time, and the file the program creates is not created.
TEST_F(GdbFidelityTest, RunRestartsTheReplay) {
  const std::string path = NewPath("created");
  Recording rec = Record("run_restart", {path});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(fs::exists(path));
  fs::remove(path);
  std::smatch m;
  ASSERT_TRUE(std::regex_search(rec.out, m, std::regex(R"(run_restart: value (\d+))"))) << rec.out;
  const std::string value = m[1].str();

  GdbTranscript t = RunGdbOnReplay(rec.trace, Program("run_restart"),
                                   {
                                       "break Created",   // 0
                                       "continue",        // 1
                                       "print g_value",   // 2
                                       "run",             // 3: back to the start
                                       "print g_value",   // 4
                                       "continue",        // 5: to the end
                                       "run",             // 6: after the exit too
                                       "print g_value",   // 7
                                       "info inferiors",  // 8
                                   });
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(NoDivergence(t));
  EXPECT_TRUE(Contains(t.Output(1), "Breakpoint 1, Created"));
  EXPECT_TRUE(Printed(t.Output(2), value));
  EXPECT_TRUE(Contains(t.Output(3), "Breakpoint 1, Created"));
  EXPECT_TRUE(Printed(t.Output(4), value));
  EXPECT_TRUE(Contains(t.Output(5), "exited normally"));
  EXPECT_TRUE(Contains(t.Output(6), "Breakpoint 1, Created"));
  EXPECT_TRUE(Printed(t.Output(7), value));
  EXPECT_TRUE(Contains(t.Output(8), "extended-remote"));
  EXPECT_FALSE(fs::exists(path)) << "gdb's run ran the program for real";
}

// reverse-continue to a breakpoint hit 10^9 times stops within seconds of
// gdb's interrupt (Ctrl-C, sent here by a timer in gdb itself), at a point
// of the loop that is consistent: continuing from it ends as recorded.
TEST_F(GdbFidelityTest, InterruptReverseContinueInHotLoop) {
  RunOptions slow;
  slow.timeout = std::chrono::seconds(120);
  Recording rec = Record("hot_loop", {}, slow);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  ASSERT_TRUE(Contains(rec.out, "hot_loop: sum 1500000000\n")) << rec.out;
  const int body = SourceLine("tests/programs/hot_loop.c", "@loop-body");
  GdbOptions options;
  options.timeout = std::chrono::seconds(180);
  GdbTranscript t = RunGdbOnReplay(
      rec.trace, Program("hot_loop"),
      {
          "break Done",                                 // 0
          "continue",                                   // 1
          "break hot_loop.c:" + std::to_string(body),   // 2
          "python import os, signal, threading, time",  // 3
          // 8 s: a progress report comes every 2 s of scanning, which starts
          // only once a checkpoint was restored (seconds on a loaded machine).
          "python threading.Timer(8, os.kill, (os.getpid(), signal.SIGINT)).start(); "
          "t0 = time.time()",                                 // 4
          "reverse-continue",                                 // 5
          "python print('elapsed %d' % (time.time() - t0))",  // 6
          "print i < 1000000000",                             // 7
          "delete 2",                                         // 8
          "continue",                                         // 9
          "print g_sum",                                      // 10
      },
      options);
  SCOPED_TRACE(t.Describe());
  EXPECT_TRUE(NoDivergence(t));
  EXPECT_TRUE(Contains(t.Output(1), "Breakpoint 1, Done"));
  EXPECT_TRUE(Contains(t.Output(5), "SIGINT"));
  EXPECT_TRUE(Contains(t.Output(5), "reverse-continue is re-executing"));
  std::smatch m;
  const std::string& elapsed = t.Output(6);
  ASSERT_TRUE(std::regex_search(elapsed, m, std::regex(R"(elapsed (\d+))"))) << elapsed;
  EXPECT_LE(std::stoi(m[1].str()), 8 + 10) << "the interrupt took effect late";
  EXPECT_TRUE(Printed(t.Output(7), "1"));
  EXPECT_TRUE(Contains(t.Output(9), "Breakpoint 1, Done"));
  EXPECT_TRUE(Printed(t.Output(10), "1500000000"));
}

}  // namespace
}  // namespace rwd::e2e
