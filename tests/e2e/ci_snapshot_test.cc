// `rewind ci` records with snapshots, as `rewind record` does (issue 16):
// a CI run is the long recording they pay off in. The artifact carries them
// (its message and `rewind info` say how many), and a replay of the artifact
// moved to another directory, the recording's scratch gone, starts from one
// with the values re-execution shows. --snapshot-interval 0 turns them off.
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/gdb_driver.h"
#include "tests/e2e/snap_heap_goto.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

class CiSnapshotTest : public GdbTest {
 protected:
  // `rewind ci --keep always EXTRA -- snap_heap ARGS`: the artifact's path
  // ("" on failure); `ci` gets the run.
  std::string CiKeep(const std::vector<std::string>& extra, const std::vector<std::string>& args,
                     RunResult* ci) {
    std::string out = NewPath("artifacts");
    std::vector<std::string> argv = {"ci", "-o", out, "--keep", "always"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("--");
    argv.push_back(Program("snap_heap"));
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.timeout = std::chrono::seconds(180);
    *ci = Rewind(argv, options);
    EXPECT_EQ(ci->exit_status, 0) << ci->Describe();
    std::vector<std::string> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(out, ec)) files.push_back(e.path().string());
    EXPECT_EQ(files.size(), 1u) << ci->Describe();
    return files.size() == 1 ? files[0] : "";
  }

  // The count the ci message gives ("trace kept in FILE (N snapshots)")
  // and the one `rewind info FILE` gives, which must agree.
  int SnapshotsShown(const RunResult& ci, const std::string& artifact) {
    std::smatch m;
    if (!std::regex_search(ci.err, m, std::regex("trace kept in .*\\(([0-9]+) snapshots?\\)"))) {
      ADD_FAILURE() << "no snapshot count in:\n" << ci.err;
      return -1;
    }
    int told = std::stoi(m[1]);
    RunResult info = Rewind({"info", artifact});
    EXPECT_EQ(info.exit_status, 0) << info.Describe();
    if (!std::regex_search(info.out, m, std::regex("snapshots +([0-9]+)"))) {
      ADD_FAILURE() << info.out;
      return -1;
    }
    EXPECT_EQ(std::stoi(m[1]), told) << info.out << ci.err;
    return told;
  }
};

TEST_F(CiSnapshotTest, SnapshotsByDefaultAndAReplayOfTheMovedArtifactStartsFromOne) {
  // 12 rounds of fixed work, ~2 s on an idle machine (more under rewind
  // and load); the default interval is 1 s.
  RunResult ci;
  std::string artifact = CiKeep({}, {"12", "0", "8000"}, &ci);
  ASSERT_FALSE(artifact.empty());
  int snapshots = SnapshotsShown(ci, artifact);
  ASSERT_GE(snapshots, 1) << ci.Describe();

  // Another machine: the artifact alone, elsewhere.
  std::string elsewhere = NewPath("elsewhere");
  fs::create_directories(elsewhere);
  std::string moved = elsewhere + "/" + fs::path(artifact).filename().string();
  fs::rename(artifact, moved);
  RunResult info = Rewind({"info", moved});
  ASSERT_EQ(info.exit_status, 0) << info.Describe();
  std::smatch m;
  ASSERT_TRUE(std::regex_search(info.out, m, std::regex("events +([0-9]+)"))) << info.out;
  uint64_t target = std::stoull(m[1]) - 2;

  GdbTranscript restored =
      ExpectGoFromASnapshotShowsTheReExecutedValues(moved, Program("snap_heap"), target);
  EXPECT_TRUE(AnyLineMatches(restored.Output(0), "^\\$1 = 1[0-2]$")) << restored.Output(0);
}

TEST_F(CiSnapshotTest, IntervalZeroTurnsThemOff) {
  RunResult ci;
  std::string artifact = CiKeep({"--snapshot-interval", "0"}, {"12", "0", "8000"}, &ci);
  ASSERT_FALSE(artifact.empty());
  EXPECT_EQ(SnapshotsShown(ci, artifact), 0) << ci.Describe();
}

}  // namespace
}  // namespace rwd::e2e
