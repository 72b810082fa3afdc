// `rewind ci` (issue 14): a shell test runner runs two test binaries from a
// build directory; the second crashes. The run must exit with the runner's
// status, leave exactly one artifact, print a crash report naming the signal,
// the function and its file:line, and the artifact must replay and debug
// elsewhere with the build directory gone. A passing run keeps nothing.
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

RunOptions Quick() {
  RunOptions options;
  options.timeout = std::chrono::seconds(120);
  return options;
}

// Line number of the first line of tests/programs/`file` containing `marker`.
int LineOf(const std::string& file, const std::string& marker) {
  std::ifstream in(std::string(REWIND_SOURCE_DIR) + "/tests/programs/" + file);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find(marker) != std::string::npos) return n;
  }
  ADD_FAILURE() << marker << " not found in " << file;
  return -1;
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) names.push_back(e.path().string());
  return names;
}

class CiTest : public E2ETest {
 protected:
  // A build directory holding the test binaries and run_tests.sh, which
  // runs them all and exits 1 if any failed, like `make test` would.
  std::string MakeBuildDir(const std::vector<std::string>& tests) {
    std::string build = NewPath("build");
    fs::create_directories(build);
    std::string script = "#!/bin/sh\ndir=$(dirname \"$0\")\nstatus=0\n";
    for (const std::string& t : tests) {
      fs::copy_file(Program(t), build + "/" + t);
      script += "\"$dir/" + t + "\" || status=1\n";
    }
    script += "echo \"runner: done, status $status\"\nexit $status\n";
    std::ofstream(build + "/run_tests.sh") << script;
    chmod((build + "/run_tests.sh").c_str(), 0755);
    return build;
  }

  // `rewind ci -o OUT -- sh run_tests.sh`, run from inside `build`.
  RunResult Ci(const std::string& build, const std::string& out,
               const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {"/bin/sh", "-c",  "cd \"$1\" && shift && exec \"$@\"",
                                     "sh",      build, REWIND_BINARY,
                                     "ci",      "-o",  out};
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (const char* a : {"--", "sh", "run_tests.sh"}) argv.push_back(a);
    return RunCommand(argv, WithCache(Quick()));
  }

  RunOptions WithCache(RunOptions options) {
    options.env.push_back("XDG_CACHE_HOME=" + temp_dir() + "/xdg-cache");
    return options;
  }

  // A runner whose second test is `crasher`, under `rewind ci`: checks the
  // exit status, the single artifact and the crash report; returns the
  // artifact (empty on failure) and the run.
  std::string CrashRun(const std::string& crasher, const std::string& source, RunResult* ci,
                       std::string* build) {
    *build = MakeBuildDir({"ci_test_pass", crasher});
    std::string out = NewPath("artifacts");
    *ci = Ci(*build, out);
    EXPECT_FALSE(ci->timed_out) << ci->Describe();
    EXPECT_EQ(ci->exit_status, 1) << ci->Describe();
    EXPECT_TRUE(Contains(ci->out, "test_pass: 3 checks ok"));
    EXPECT_TRUE(Contains(ci->out, "runner: done, status 1"));
    std::vector<std::string> files = FilesIn(out);
    EXPECT_EQ(files.size(), 1u) << ci->Describe();
    if (files.size() != 1) return "";

    // The crash report: process, signal and address, instruction, frames.
    const std::string& err = ci->err;
    EXPECT_TRUE(Contains(err, "crashed: ./" + crasher)) << err;
    EXPECT_TRUE(AnyLineMatches(err, "SIGSEGV .*address not mapped.* at address 0x10$")) << err;
    EXPECT_TRUE(AnyLineMatches(err, "faulting instruction: 0x[0-9a-f]+: [a-z]+ ")) << err;
    std::string crash_line = source + ":" + std::to_string(LineOf(source, "// CRASHES"));
    EXPECT_TRUE(AnyLineMatches(err, "#0 +0x[0-9a-f]+ in bump \\(.*" + crash_line + "\\)")) << err;
    EXPECT_TRUE(Contains(err, "replay --crash " + files[0])) << err;
    return files[0];
  }

  // The artifact moved elsewhere and the build directory (also the
  // recording's cwd) deleted: it replays, and gdb starts at the crash.
  void DebugElsewhere(const std::string& crasher, const std::string& source) {
    RunResult ci;
    std::string build;
    std::string artifact = CrashRun(crasher, source, &ci, &build);
    ASSERT_FALSE(artifact.empty());
    std::string moved = NewPath("elsewhere") + ".rewind";
    fs::rename(artifact, moved);
    fs::remove_all(build);
    RunResult replay = Rewind({"replay", "-a", moved}, WithCache(Quick()));
    EXPECT_EQ(replay.exit_status, 1) << replay.Describe();
    EXPECT_TRUE(SameBytes(ci.out, replay.out));

    std::string crash_line = source + ":" + std::to_string(LineOf(source, "// CRASHES"));
    RunResult bt =
        Rewind({"replay", "--crash", moved, "--", "-batch", "-ex", "bt"}, WithCache(Quick()));
    EXPECT_EQ(bt.exit_status, 0) << bt.Describe();
    EXPECT_TRUE(AnyLineMatches(bt.out, "^#0 +bump \\(j=.*\\) at .*" + crash_line)) << bt.out;

    // The corrupted pointer, watched back to the store in main.
    std::string store_line = std::to_string(LineOf(source, "// CORRUPTS"));
    RunResult watch = Rewind({"replay", "--crash", moved, "--", "-batch", "-ex",
                              "watch -l j->counter", "-ex", "reverse-continue"},
                             WithCache(Quick()));
    EXPECT_EQ(watch.exit_status, 0) << watch.Describe();
    EXPECT_TRUE(AnyLineMatches(watch.out, "^main \\(\\) at .*" + source + ":" + store_line + "$"))
        << watch.Describe();
  }
};

TEST_F(CiTest, CrashInMainThreadIsReportedAndKept) {
  RunResult ci;
  std::string build;
  CrashRun("ci_pointer_crash", "ci_pointer_crash.c", &ci, &build);
}

// Replay runs the trace's copies of the binaries from a private cwd.
TEST_F(CiTest, CrashInMainThreadDebuggableElsewhere) {
  DebugElsewhere("ci_pointer_crash", "ci_pointer_crash.c");
}

// A crash in a worker thread while other threads live.
TEST_F(CiTest, CrashInWorkerThreadIsReportedAndKept) {
  RunResult ci;
  std::string build;
  CrashRun("mt_ci_worker_crash", "mt_ci_worker_crash.c", &ci, &build);
}
TEST_F(CiTest, CrashInWorkerThreadDebuggableElsewhere) {
  DebugElsewhere("mt_ci_worker_crash", "mt_ci_worker_crash.c");
}

TEST_F(CiTest, PassingRunKeepsNothing) {
  std::string build = MakeBuildDir({"ci_test_pass"});
  std::string out = NewPath("artifacts");
  RunResult ci = Ci(build, out);
  EXPECT_EQ(ci.exit_status, 0) << ci.Describe();
  EXPECT_TRUE(Contains(ci.out, "runner: done, status 0"));
  EXPECT_TRUE(FilesIn(out).empty());
  EXPECT_EQ(ci.err, "");

  RunResult always = Ci(build, out, {"--keep", "always"});
  EXPECT_EQ(always.exit_status, 0) << always.Describe();
  EXPECT_EQ(FilesIn(out).size(), 1u);
}

TEST_F(CiTest, CrashTheRunnerIgnoresStillFails) {
  std::string build = MakeBuildDir({"ci_pointer_crash"});
  // A runner that reports success whatever its tests do.
  std::ofstream(build + "/run_tests.sh") << "#!/bin/sh\n./ci_pointer_crash\nexit 0\n";
  std::string out = NewPath("artifacts");
  RunResult ci = Ci(build, out);
  EXPECT_EQ(ci.exit_status, 1) << ci.Describe();
  EXPECT_EQ(FilesIn(out).size(), 1u);
  EXPECT_TRUE(Contains(ci.err, "SIGSEGV")) << ci.err;
}

TEST_F(CiTest, FailingExitWithoutCrashIsKeptAndNamed) {
  std::string build = MakeBuildDir({"ci_test_pass"});
  std::ofstream(build + "/run_tests.sh") << "#!/bin/sh\n./ci_test_pass\nexit 3\n";
  std::string out = NewPath("artifacts");
  RunResult ci = Ci(build, out);
  EXPECT_EQ(ci.exit_status, 3) << ci.Describe();
  ASSERT_EQ(FilesIn(out).size(), 1u);
  EXPECT_TRUE(AnyLineMatches(ci.err, "exited with status 3: sh run_tests.sh")) << ci.err;
  RunResult replay = Rewind({"replay", "-a", FilesIn(out)[0]}, WithCache(Quick()));
  EXPECT_EQ(replay.exit_status, 3) << replay.Describe();
  EXPECT_TRUE(SameBytes(ci.out, replay.out));
}

// A refused command line exits 2 (issue 15; cli_args_test.cc checks the messages).
TEST_F(CiTest, UsageErrors) {
  EXPECT_EQ(Rewind({"ci"}).exit_status, 2);
  EXPECT_EQ(Rewind({"ci", "--keep", "sometimes", "--", "true"}).exit_status, 2);
  EXPECT_EQ(Rewind({"ci", "--frobnicate", "--", "true"}).exit_status, 2);
}

// The syscall buffer is chosen as for `rewind record`: --syscallbuf,
// --no-syscallbuf, else REWIND_SYSCALLBUF, else on; the kept trace shows it.
TEST_F(CiTest, SyscallBufferSettingIsHonoured) {
  if (!arch::HostArch().HasSyscallBuffer())
    GTEST_SKIP() << "no syscall buffer on this architecture";
  auto batches = [&](const std::vector<std::string>& flags, const std::string& env) {
    std::string out = NewPath("artifacts");
    std::vector<std::string> argv = {"ci", "-o", out, "--keep", "always"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.push_back("--");
    argv.push_back(Program("buffered_io"));
    RunOptions options = WithCache(Quick());
    options.env.push_back(env);
    RunResult ci = Rewind(argv, options);
    EXPECT_EQ(ci.exit_status, 0) << ci.Describe();
    std::vector<std::string> files = FilesIn(out);
    if (files.size() != 1) {
      ADD_FAILURE() << "no single artifact in " << out;
      return -1;
    }
    RunResult dump = Rewind({"dump", files[0]}, WithCache(Quick()));
    EXPECT_EQ(dump.exit_status, 0) << dump.Describe();
    std::vector<std::string> lines = Lines(dump.out);
    return static_cast<int>(std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
      return l.find(" syscall-batch ") != std::string::npos;
    }));
  };
  EXPECT_GT(batches({"--syscallbuf"}, "REWIND_SYSCALLBUF=0"), 0);
  EXPECT_GT(batches({}, "REWIND_SYSCALLBUF=1"), 0);
  EXPECT_EQ(batches({"--no-syscallbuf"}, "REWIND_SYSCALLBUF=1"), 0);
  EXPECT_EQ(batches({}, "REWIND_SYSCALLBUF=0"), 0);
  EXPECT_GT(batches({}, "REWIND_SYSCALLBUF="), 0);  // the default
}

}  // namespace
}  // namespace rwd::e2e
