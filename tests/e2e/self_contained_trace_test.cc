// A trace needs nothing the recording saw: replays run the trace's copies of
// the program, its ld.so and its #! interpreter, from any working directory,
// after the trace moved, the recording's cwd was deleted and the program was
// rebuilt or deleted; gdb gets the recorded binary's symbols. Traces are
// private (0700/0600, no links to system files). A recorder asked to stop
// (SIGTERM) keeps everything it recorded.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/e2e/e2e_fixture.h"
#include "tests/e2e/gdb_driver.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

class SelfContainedTraceTest : public GdbTest {
 protected:
  // A work directory holding a copy of rebuilt_v1 as `prog`.
  std::string WorkDirWithProgram() {
    std::string work = NewPath("work");
    fs::create_directories(work);
    fs::copy_file(Program("rebuilt_v1"), work + "/prog");
    return work;
  }

  // `rewind record -o TRACE ARGV...` run in `cwd`.
  Recording RecordIn(const std::string& cwd, const std::vector<std::string>& argv) {
    Recording rec;
    rec.trace = NewPath("trace");
    std::vector<std::string> args = {"record", "-o", rec.trace};
    args.insert(args.end(), argv.begin(), argv.end());
    RunOptions options;
    options.cwd = cwd;
    static_cast<RunResult&>(rec) = Rewind(args, options);
    return rec;
  }

  void ExpectReplayFrom(const std::string& cwd, const std::string& trace, const Recording& rec) {
    SCOPED_TRACE("replay of " + trace + " from " + cwd);
    RunOptions options;
    options.cwd = cwd;
    RunResult replay = Rewind({"replay", "-a", trace}, options);
    EXPECT_TRUE(SameBytes(rec.out, replay.out)) << replay.Describe();
    EXPECT_EQ(replay.exit_status, rec.exit_status) << replay.Describe();
  }
};

TEST_F(SelfContainedTraceTest, ReplayNeedsNothingTheRecordingSaw) {
  std::string work = WorkDirWithProgram();
  // The program by a relative path, directly and from a shell (a later exec).
  Recording direct = RecordIn(work, {"./prog", "direct"});
  ASSERT_EQ(direct.exit_status, 0) << direct.Describe();
  ASSERT_EQ(direct.out, "rebuilt_v1: 46 direct\n");
  Recording via_sh = RecordIn(work, {"/bin/sh", "-c", "./prog one; ./prog two"});
  ASSERT_EQ(via_sh.exit_status, 0) << via_sh.Describe();
  ASSERT_EQ(via_sh.out, "rebuilt_v1: 46 one\nrebuilt_v1: 46 two\n");

  // Rebuilt at the same path: natively it is another program now.
  fs::copy_file(Program("rebuilt_v2"), work + "/prog", fs::copy_options::overwrite_existing);
  RunResult native = RunNative(work + "/prog");
  ASSERT_EQ(native.out, "rebuilt_v2: a different program now\n");
  for (const Recording* rec : {&direct, &via_sh}) {
    ExpectReplayFrom(work, rec->trace, *rec);
    // A relative trace path, from another directory.
    ExpectReplayFrom("/", rec->trace.substr(1), *rec);
  }

  // The recording's cwd and the program are gone.
  fs::remove_all(work);
  ExpectReplayFrom(temp_dir(), direct.trace, direct);
  ExpectReplayFrom("/", via_sh.trace, via_sh);

  // The trace moved.
  std::string moved = NewPath("moved");
  fs::rename(via_sh.trace, moved);
  ExpectReplayFrom(temp_dir(), fs::path(moved).filename(), via_sh);
}

TEST_F(SelfContainedTraceTest, GdbSeesTheRecordedBinary) {
  std::string work = WorkDirWithProgram();
  Recording rec = RecordIn(work, {"./prog"});
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  fs::copy_file(Program("rebuilt_v2"), work + "/prog", fs::copy_options::overwrite_existing);
  for (bool deleted : {false, true}) {
    SCOPED_TRACE(deleted ? "program deleted" : "program rebuilt");
    if (deleted) fs::remove_all(work);
    GdbOptions options;
    options.remote_files = true;  // the executable and libraries from the server
    options.env = {"XDG_CACHE_HOME=" + temp_dir() + "/xdg-cache"};
    GdbTranscript t = RunGdbOnReplay(
        rec.trace, "", {"break OldOnlyFunction", "continue", "info symbol $pc"}, options);
    std::optional<SourceLocation> at = StopLocation(t.Output(1));
    ASSERT_TRUE(at) << t.Describe();
    EXPECT_EQ(at->function, "OldOnlyFunction") << t.Describe();
    EXPECT_TRUE(Contains(t.Output(2), "OldOnlyFunction + ")) << t.Describe();
  }
}

TEST_F(SelfContainedTraceTest, TraceIsPrivateAndHoldsNoLinks) {
  mode_t old_umask = umask(022);
  Recording rec = RecordIn(temp_dir(), {"/bin/sh", "-c", "ls / > /dev/null; echo done"});
  umask(old_umask);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  size_t copies = 0;
  auto check = [](const fs::path& p, mode_t mode) {
    struct stat st {};
    ASSERT_EQ(lstat(p.c_str(), &st), 0) << p;
    EXPECT_EQ(st.st_mode & 07777, mode) << p;  // never setuid/setgid either
    if (S_ISREG(st.st_mode)) EXPECT_EQ(st.st_nlink, 1u) << p << " is a hard link";
  };
  check(rec.trace, 0700);
  for (const auto& entry : fs::recursive_directory_iterator(rec.trace)) {
    check(entry.path(), entry.is_directory() ? 0700 : 0600);
    if (entry.path().parent_path().filename() == "files") ++copies;
  }
  EXPECT_GE(copies, 3u) << "sh, ls, ld.so and libc should have copies";
}

TEST_F(SelfContainedTraceTest, SigtermIsPassedOnAndEverythingRecordedIsKept) {
  // timeout sends SIGTERM to the recorder only, as a CI runner cancelling a job does.
  Recording rec;
  rec.trace = NewPath("trace");
  static_cast<RunResult&>(rec) =
      RunCommand({"timeout", "--preserve-status", "-s", "TERM", "1.5", REWIND_BINARY, "record",
                  "-o", rec.trace, Program("endless_writes")},
                 RunOptions{.env = {"XDG_CACHE_HOME=" + temp_dir() + "/xdg-cache"}});
  ASSERT_FALSE(rec.timed_out);
  // The program died of the SIGTERM passed on; the recording ended with it.
  EXPECT_EQ(rec.exit_status, 128 + SIGTERM) << rec.Describe();
  ASSERT_GT(Lines(rec.out).size(), 50u) << rec.Describe();
  RunResult replay = ReplayAutopilot(rec.trace);
  EXPECT_TRUE(SameBytes(rec.out, replay.out));
  EXPECT_EQ(replay.exit_status, 128 + SIGTERM) << replay.Describe();
  EXPECT_FALSE(Contains(replay.err, "cut short")) << replay.err;
}

TEST_F(SelfContainedTraceTest, SecondSigtermEndsARecordingCutShortWithEverythingKept) {
  std::string trace = NewPath("trace");
  // The program ignores SIGTERM (the disposition survives exec).
  std::string script = "'" + std::string(REWIND_BINARY) + "' record -o '" + trace +
                       "' /bin/sh -c 'trap \"\" TERM; exec " + Program("endless_writes") +
                       "' & pid=$!; sleep 1; kill -TERM $pid; sleep 0.5; kill -TERM $pid; "
                       "wait $pid";
  RunResult rec = RunCommand({"/bin/sh", "-c", script},
                             RunOptions{.env = {"XDG_CACHE_HOME=" + temp_dir() + "/xdg-cache"}});
  ASSERT_FALSE(rec.timed_out);
  EXPECT_EQ(rec.exit_status, 128 + SIGTERM) << rec.Describe();
  EXPECT_TRUE(Contains(rec.err, "stopped recording")) << rec.err;
  std::vector<std::string> recorded = Lines(rec.out);
  ASSERT_GT(recorded.size(), 50u) << rec.Describe();

  RunResult replay = ReplayAutopilot(trace);
  EXPECT_TRUE(Contains(replay.err, "cut short")) << replay.err;
  std::vector<std::string> replayed = Lines(replay.out);
  // All but possibly a write that was under way when the recorder stopped.
  EXPECT_GE(replayed.size() + 1, recorded.size());
  ASSERT_LE(replayed.size(), recorded.size());
  for (size_t i = 0; i < replayed.size(); ++i) ASSERT_EQ(replayed[i], recorded[i]) << i;
}

// A recording takes the compressed copies an earlier one made from the
// per-user packed cache (trace/packed_file_cache.h): the trace holds the
// same bytes, and a replay that unpacks them (checking each against its
// id) reproduces the program.
TEST_F(SelfContainedTraceTest, SecondRecordingTakesItsCopiesFromThePackedCache) {
  std::string work = WorkDirWithProgram();
  Recording first = RecordIn(work, {"/bin/sh", "-c", "./prog first"});
  ASSERT_EQ(first.exit_status, 0) << first.Describe();
  std::string packed = temp_dir() + "/xdg-cache/rewind/files/packed";
  std::set<std::string> cached;
  for (const auto& entry : fs::directory_iterator(packed)) {
    cached.insert(entry.path().filename().string());
  }
  ASSERT_FALSE(cached.empty()) << "libc, at least, is compressed and kept";

  Recording second = RecordIn(work, {"/bin/sh", "-c", "./prog second"});
  ASSERT_EQ(second.exit_status, 0) << second.Describe();
  ASSERT_EQ(second.out, "rebuilt_v1: 46 second\n");
  for (const std::string& name : cached) {
    SCOPED_TRACE(name);
    std::string in_trace = second.trace + "/files/" + name;
    ASSERT_TRUE(fs::exists(in_trace));
    EXPECT_EQ(fs::hard_link_count(in_trace), 1u) << "a private copy, not a link";
    EXPECT_EQ(ReadFile(in_trace), ReadFile(packed + "/" + name));
  }
  // Replay unpacks every copy afresh (no earlier replay left one).
  fs::remove_all(temp_dir() + "/xdg-cache");
  ExpectReplayFrom(work, second.trace, second);
}

}  // namespace
}  // namespace rwd::e2e
