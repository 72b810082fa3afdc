// Issue 14 besides `rewind ci`: `rewind pack` (a trace as one file that
// replays anywhere), `rewind ls` / `rewind rm` on the default trace location,
// and `--chaos`, which must make a race show up that plain recording never
// hits.
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

class PackTest : public E2ETest {
 protected:
  RunOptions WithCache() {
    RunOptions options;
    options.timeout = std::chrono::seconds(120);
    options.env.push_back("XDG_CACHE_HOME=" + temp_dir() + "/xdg-cache");
    return options;
  }
};

TEST_F(PackTest, PackedTraceReplaysWithoutItsDirectory) {
  Recording rec = Record("random_bytes");
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  RunResult in_place = Rewind({"pack", rec.trace});
  EXPECT_EQ(in_place.exit_status, 0) << in_place.Describe();
  EXPECT_TRUE(Contains(in_place.out, "is self-contained"));

  std::string file = NewPath("packed") + ".rewind";
  RunResult pack = Rewind({"pack", "-o", file, rec.trace});
  ASSERT_EQ(pack.exit_status, 0) << pack.Describe();
  fs::remove_all(rec.trace);
  for (int i = 0; i < 2; ++i) {  // the second replay reuses the unpacked copy
    RunResult replay = ReplayAutopilot(file, WithCache());
    EXPECT_EQ(replay.exit_status, 0) << replay.Describe();
    EXPECT_TRUE(SameBytes(rec.out, replay.out));
  }
  // One private directory per archive in the cache.
  std::string cache = temp_dir() + "/xdg-cache/rewind/unpacked";
  int unpacked = 0;
  for (const auto& e : fs::directory_iterator(cache)) {
    ++unpacked;
    EXPECT_EQ(fs::status(e).permissions() & fs::perms::all, fs::perms::owner_all);
  }
  EXPECT_EQ(unpacked, 1);
  EXPECT_EQ(fs::status(cache).permissions() & fs::perms::all, fs::perms::owner_all);
}

TEST_F(PackTest, FilesThatAreNotPackedTracesAreRefused) {
  std::string junk = NewPath("junk");
  std::ofstream(junk) << "not a trace\n";
  RunResult replay = ReplayAutopilot(junk, WithCache());
  EXPECT_EQ(replay.exit_status, 70) << replay.Describe();
  EXPECT_TRUE(Contains(replay.err, "not a packed trace")) << replay.err;

  // A zstd stream that holds no tar.
  std::string zst = NewPath("plain") + ".zst";
  RunResult zstd = RunCommand({"/bin/sh", "-c", "echo hello | zstd -q > \"$0\"", zst});
  if (zstd.exit_status != 0) GTEST_SKIP() << "the zstd tool is not installed";
  replay = ReplayAutopilot(zst, WithCache());
  EXPECT_EQ(replay.exit_status, 70) << replay.Describe();
  EXPECT_FALSE(replay.Crashed());
}

class TraceListTest : public E2ETest {};

TEST_F(TraceListTest, LsListsAndRmDeletesDefaultLocationTraces) {
  RunResult empty = Rewind({"ls"});
  EXPECT_EQ(empty.exit_status, 0) << empty.Describe();
  EXPECT_TRUE(Contains(empty.out, "no traces in " + data_home() + "/rewind/traces"));

  ASSERT_EQ(Rewind({"record", Program("exit_status"), "2"}).exit_status, 2);
  ASSERT_EQ(Rewind({"record", Program("segfault")}).exit_status, 128 + 11);
  RunResult ls = Rewind({"ls"});
  ASSERT_EQ(ls.exit_status, 0) << ls.Describe();
  std::vector<std::string> lines = Lines(ls.out);
  ASSERT_EQ(lines.size(), 3u) << ls.out;
  EXPECT_TRUE(AnyLineMatches(lines[0], "^NAME +STARTED +OUTCOME +SIZE +COMMAND$"));
  EXPECT_TRUE(AnyLineMatches(
      lines[1], "^exit_status-0 +[0-9-]+ [0-9:]+ +exit 2 +[0-9.]+[KM] +.*exit_status 2$"))
      << lines[1];
  EXPECT_TRUE(AnyLineMatches(lines[2], "^segfault-0 \\* +[0-9-]+ [0-9:]+ +SIGSEGV +[0-9.]+[KM] "))
      << lines[2];

  // rm refuses what is not a trace, and leaves it alone.
  std::string other = NewPath("not-a-trace");
  fs::create_directories(other);
  std::ofstream(other + "/header") << "hello";
  RunResult refused = Rewind({"rm", other});
  EXPECT_NE(refused.exit_status, 0);
  EXPECT_TRUE(Contains(refused.err, "not a trace directory")) << refused.err;
  EXPECT_TRUE(fs::exists(other + "/header"));
  EXPECT_NE(Rewind({"rm", "latest"}).exit_status, 0);
  EXPECT_NE(Rewind({"rm", "no-such-trace"}).exit_status, 0);

  RunResult rm = Rewind({"rm", "segfault-0"});
  EXPECT_EQ(rm.exit_status, 0) << rm.Describe();
  EXPECT_FALSE(fs::exists(data_home() + "/rewind/traces/segfault-0"));
  // `latest` pointed at it: it is gone rather than dangling.
  EXPECT_FALSE(fs::is_symlink(data_home() + "/rewind/traces/latest"));
  lines = Lines(Rewind({"ls"}).out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(Contains(lines[1], "exit_status-0"));
}

// mt_race_crash crashes in some native runs and in no plain recording (its
// window is far shorter than a time slice); chaos mode must record the
// crash within 60 attempts (about 1 in 10 chaos recordings crashes here:
// 20 attempts missed it in 1 of 5 idle runs and in more under load).
// RecordRaceCrash returns the trace that crashed, or "".

class ChaosTest : public E2ETest {
 public:
  static constexpr int kAttempts = 60;
  // `survivors`, when given, collects the recordings that did not crash,
  // with their output.
  std::string RecordRaceCrash(int* attempts,
                              std::vector<std::pair<std::string, std::string>>* survivors = nullptr) {
    RunOptions options;
    options.timeout = std::chrono::seconds(120);
    for (*attempts = 1; *attempts <= kAttempts; ++*attempts) {
      std::string trace = NewPath("chaos");
      RunResult rec = Rewind({"record", "--chaos", "-o", trace, Program("mt_race_crash")}, options);
      EXPECT_FALSE(rec.timed_out) << rec.Describe();
      if (rec.exit_status == 128 + 11) return trace;
      EXPECT_EQ(rec.exit_status, 0) << rec.Describe();
      if (rec.exit_status != 0) return "";
      if (survivors) survivors->emplace_back(trace, rec.out);
    }
    return "";
  }
};

TEST_F(ChaosTest, FindsRaceWithinSixtyRecordings) {
  int attempts = 0;
  std::string crashed = RecordRaceCrash(&attempts);
  ASSERT_FALSE(crashed.empty()) << "no crash in " << kAttempts << " chaos recordings";
  RecordProperty("chaos_attempts", attempts);
}

// The crash leaves the other thread alive when it is recorded. The
// recordings that did not crash replay too: 2 to 4 of 10 of them hung
// replay while the recorder took a thread that had looped back to the
// registers of its last preemption (its state lives on the stack: `sum`,
// `polls`) for one that had not moved, and recorded no preemption.
TEST_F(ChaosTest, RaceCrashRecordingReplays) {
  int attempts = 0;
  std::vector<std::pair<std::string, std::string>> survivors;
  std::string crashed = RecordRaceCrash(&attempts, &survivors);
  ASSERT_FALSE(crashed.empty()) << "no crash in " << kAttempts << " chaos recordings";
  RunOptions options;
  options.timeout = std::chrono::seconds(120);
  RunResult replay = ReplayAutopilot(crashed, options);
  EXPECT_EQ(replay.exit_status, 128 + 11) << replay.Describe();
  EXPECT_TRUE(Contains(replay.err, "replay reproduced SIGSEGV")) << replay.err;
  for (const auto& [trace, out] : survivors) {
    SCOPED_TRACE("a chaos recording that did not crash: " + trace);
    RunResult again = ReplayAutopilot(trace, options);
    ASSERT_FALSE(again.timed_out) << again.Describe();
    EXPECT_EQ(again.exit_status, 0) << again.Describe();
    EXPECT_EQ(again.out, out);
  }
}

}  // namespace
}  // namespace rwd::e2e
