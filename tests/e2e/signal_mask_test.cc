// Acceptance tests for signals that end a wait with a temporary signal mask
// (issue 10): GNU make keeps SIGCHLD blocked except inside pselect, so every
// child's exit reaches it through pselect's mask. Replay must deliver the
// recorded signal under that mask, as the kernel did, or the program goes
// on with the signal blocked and the replay diverges. Also: recordings of
// shell pipelines replay every time, not nine times in ten.
//
// Each recording is replayed twice; the replays must print exactly what the
// recording printed, exit the same way and report no divergence.
#include <filesystem>
#include <string>
#include <vector>

#include "tests/e2e/e2e_fixture.h"

namespace rwd::e2e {
namespace {

namespace fs = std::filesystem;

constexpr char kSourceDir[] = REWIND_SOURCE_DIR;

class SignalMask : public E2ETest {
 protected:
  void ExpectNoDivergence(const std::vector<RunResult>& replays) {
    for (const RunResult& replay : replays) {
      EXPECT_FALSE(Contains(replay.err, "diverged")) << replay.Describe();
    }
  }

  // sig_mask_wait with one kind of wait: six children, each exit ends a
  // wait whose mask alone unblocks SIGCHLD.
  void RecordAndReplayWait(const std::string& how) {
    Recording rec = Record("sig_mask_wait", {how});
    ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
    EXPECT_TRUE(Contains(rec.out, "sig_mask_wait: " + how +
                                      " reaped 6 children (status sum 75), interrupted: yes\n"))
        << rec.out;
    ExpectNoDivergence(ExpectReplaysIdentically(rec));
  }
};

TEST_F(SignalMask, PselectUnblocksSigchldOnlyWhileWaiting) { RecordAndReplayWait("pselect"); }

TEST_F(SignalMask, PpollUnblocksSigchldOnlyWhileWaiting) { RecordAndReplayWait("ppoll"); }

TEST_F(SignalMask, EpollPwaitUnblocksSigchldOnlyWhileWaiting) { RecordAndReplayWait("epoll"); }

// make -j2 of six modules and a main: compilers run two at a time and every
// exit reaches make inside pselect.
TEST_F(SignalMask, ParallelMakeOfSixModules) {
  const std::string out_dir = NewPath("make-out");
  ASSERT_TRUE(fs::create_directory(out_dir));
  // Not a sub-make of whatever runs the tests (jobserver descriptors).
  RunOptions options;
  options.env = {"MAKEFLAGS=", "MFLAGS=", "MAKELEVEL="};
  options.timeout = std::chrono::seconds(200);
  const std::vector<std::string> args = {
      "-j2", "-C", std::string(kSourceDir) + "/tests/programs/make_modules", "OUT=" + out_dir};
  Recording rec = Record("/usr/bin/make", args, options);
  ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
  EXPECT_TRUE(Contains(rec.out, "modules: checksum 620384484\n")) << rec.out;
  // What the recording built stays: replay execs the program make built.
  ExpectNoDivergence(ExpectReplaysIdentically(rec));
}

// A shell pipeline, recorded again and again: the children's exits reach the
// shell at whatever point it happens to be, and every recording replays.
TEST_F(SignalMask, RepeatedPipelineRecordingsAllReplay) {
  constexpr int kRuns = 20;
  for (int i = 0; i < kRuns; ++i) {
    SCOPED_TRACE("recording " + std::to_string(i + 1) + " of " + std::to_string(kRuns));
    Recording rec = Record("/bin/sh", {"-c", "ls / | sort | head -3"});
    ASSERT_EQ(rec.exit_status, 0) << rec.Describe();
    ASSERT_EQ(Lines(rec.out).size(), 3u) << rec.out;
    std::vector<RunResult> replays = ExpectReplaysIdentically(rec, 1);
    ExpectNoDivergence(replays);
    if (HasFailure()) break;
    fs::remove_all(rec.trace);
  }
}

}  // namespace
}  // namespace rwd::e2e
