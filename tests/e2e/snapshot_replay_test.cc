// Replay from the recorder's snapshots (issue 16): `monitor goto` and
// `rewind replay -g` to an event near the end of a long recording restore
// the last snapshot before it instead of re-executing from the start, show
// the recorded values, and reverse execution works from there. A damaged
// snapshot is reported, and an earlier one (or re-execution) is used.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "tests/e2e/gdb_driver.h"
#include "trace/snapshot_store.h"

namespace rwd::e2e {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

const std::vector<std::string> kValues = {
    "p rounds_done",
    "p heap_sum",
    "p *(unsigned long*)(heap + 4096 * 100 + 8)",
    "p *(unsigned long*)(heap + 4096 * 16300 + 8)",
};

// Everything gdb and the replay it started printed.
std::string AllOutput(const GdbTranscript& t) { return t.run.out + t.run.err; }

class SnapshotReplayTest : public GdbTest {
 protected:
  // snap_heap: 12 rounds of fixed work (6000 blocks, ~0.15 s each on an idle
  // machine), a snapshot every 0.2 s.
  void SetUp() override {
    GdbTest::SetUp();
    if (IsSkipped()) return;
    trace_ = NewPath("trace");
    RunResult r = Rewind({"record", "--snapshot-interval", "0.2", "-o", trace_,
                          Program("snap_heap"), "12", "0", "6000"});
    ASSERT_EQ(r.exit_status, 0) << r.Describe();
    RunResult info = Rewind({"info", trace_});
    ASSERT_EQ(info.exit_status, 0) << info.Describe();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(info.out, m, std::regex("events +([0-9]+)"))) << info.out;
    events_ = std::stoull(m[1]);
    target_ = events_ - 2;
    auto listed = trace::ListSnapshots(trace_);
    ASSERT_TRUE(listed.ok()) << listed.status().message();
    for (const trace::SnapshotListing& l : *listed) {
      ASSERT_TRUE(l.header.ok()) << l.path << ": " << l.header.status().message();
      if (l.header->event <= target_) usable_.push_back(l);
    }
    ASSERT_GE(usable_.size(), 2u) << "the recording took too little time for snapshots";
    ASSERT_GT(usable_.back().header->event, events_ / 2) << info.out;
  }

  // The output of the print commands of `commands` in `a` and `b` is the same.
  static void ExpectSameValues(const std::vector<std::string>& commands, const GdbTranscript& a,
                               const GdbTranscript& b) {
    for (size_t i = 0; i < commands.size(); ++i) {
      if (commands[i].rfind("p ", 0) != 0) continue;
      EXPECT_EQ(a.Output(i), b.Output(i)) << commands[i];
    }
  }

  // gdb at target_, rounds_done and heap_sum there, and `monitor stats`.
  GdbTranscript GotoTarget(const std::vector<std::string>& replay_args = {}) {
    GdbOptions options;
    options.replay_args = replay_args;
    return RunGdbOnReplay(
        trace_, Program("snap_heap"),
        {"monitor goto " + std::to_string(target_), kValues[0], kValues[1], "monitor stats"},
        options);
  }

  static GdbOptions ReplayArgs(std::vector<std::string> args) {
    GdbOptions options;
    options.replay_args = std::move(args);
    return options;
  }

  std::string trace_;
  uint64_t events_ = 0;
  uint64_t target_ = 0;
  std::vector<trace::SnapshotListing> usable_;  // snapshots at or before target_
};

TEST_F(SnapshotReplayTest, GotoNearTheEndRestoresASnapshot) {
  std::vector<std::string> commands = {"monitor goto " + std::to_string(target_)};
  commands.insert(commands.end(), kValues.begin(), kValues.end());
  commands.insert(commands.end(), {"monitor stats", "break round_end", "reverse-continue",
                                   "p round", "p rounds_done", "p heap_sum", "delete",
                                   "continue"});
  auto started = Clock::now();
  GdbTranscript reexecuted =
      RunGdbOnReplay(trace_, Program("snap_heap"), commands, ReplayArgs({"--no-snapshots"}));
  double reexecution_s = Seconds(started);
  started = Clock::now();
  GdbTranscript restored = RunGdbOnReplay(trace_, Program("snap_heap"), commands);
  double restore_s = Seconds(started);
  printf("goto event %llu of %llu (snapshot at %llu): re-executing %.2f s, from a snapshot %.2f s\n",
         static_cast<unsigned long long>(target_), static_cast<unsigned long long>(events_),
         static_cast<unsigned long long>(usable_.back().header->event), reexecution_s, restore_s);
  ASSERT_EQ(reexecuted.run.exit_status, 0) << reexecuted.Describe();
  ASSERT_EQ(restored.run.exit_status, 0) << restored.Describe();
  EXPECT_FALSE(Contains(AllOutput(restored), "is not used")) << restored.Describe();
  EXPECT_FALSE(Contains(AllOutput(restored), "diverge", true)) << restored.Describe();
  EXPECT_TRUE(Contains(restored.Output(5), "snapshots of the trace restored: 1"))
      << restored.Output(5);
  EXPECT_TRUE(Contains(reexecuted.Output(5), "snapshots of the trace restored: 0"))
      << reexecuted.Output(5);
  ExpectSameValues(commands, restored, reexecuted);
  EXPECT_TRUE(AnyLineMatches(restored.Output(1), "^\\$1 = 1[0-2]$")) << restored.Output(1);
  EXPECT_TRUE(AnyLineMatches(restored.Output(7), "round_end")) << restored.Output(7);
  // Continued to the end, the replay from the snapshot shows the last round's output.
  EXPECT_TRUE(Contains(AllOutput(restored), "round 12 heap_sum 12095064")) << restored.Describe();
  EXPECT_TRUE(Contains(restored.Output(12), "exited normally")) << restored.Output(12);
  EXPECT_LT(restore_s, reexecution_s * 0.7)
      << "a snapshot near the end must be much faster than re-executing";
}

TEST_F(SnapshotReplayTest, ReplayGoStartsAtASnapshot) {
  std::vector<std::string> commands = kValues;
  commands.push_back("monitor stats");
  auto started = Clock::now();
  GdbTranscript reexecuted =
      RunGdbOnReplay(trace_, Program("snap_heap"), commands,
                     ReplayArgs({"--no-snapshots", "-g", std::to_string(target_)}));
  double reexecution_s = Seconds(started);
  started = Clock::now();
  GdbTranscript restored = RunGdbOnReplay(trace_, Program("snap_heap"), commands,
                                          ReplayArgs({"-g", std::to_string(target_)}));
  double restore_s = Seconds(started);
  printf("replay -g %llu: re-executing %.2f s, from a snapshot %.2f s\n",
         static_cast<unsigned long long>(target_), reexecution_s, restore_s);
  ASSERT_EQ(reexecuted.run.exit_status, 0) << reexecuted.Describe();
  ASSERT_EQ(restored.run.exit_status, 0) << restored.Describe();
  ExpectSameValues(commands, restored, reexecuted);
  EXPECT_TRUE(AnyLineMatches(restored.Output(0), "^\\$1 = 1[0-2]$")) << restored.Output(0);
  EXPECT_TRUE(Contains(restored.Output(4), "snapshots of the trace restored: 1"))
      << restored.Output(4);
  EXPECT_LT(restore_s, reexecution_s * 0.7);
}

TEST_F(SnapshotReplayTest, ASnapshotCutShortIsReportedAndAnEarlierOneUsed) {
  GdbTranscript expected = GotoTarget({"--no-snapshots"});
  ASSERT_EQ(expected.run.exit_status, 0) << expected.Describe();
  const trace::SnapshotListing& last = usable_.back();
  ASSERT_EQ(truncate(last.path.c_str(), static_cast<off_t>(last.bytes / 2)), 0);
  GdbTranscript t = GotoTarget();
  ASSERT_EQ(t.run.exit_status, 0) << t.Describe();
  EXPECT_TRUE(Contains(AllOutput(t), "is not used")) << t.Describe();
  EXPECT_TRUE(Contains(AllOutput(t), "cut short")) << t.Describe();
  EXPECT_EQ(t.Output(1), expected.Output(1));
  EXPECT_EQ(t.Output(2), expected.Output(2));
  // The one before it instead.
  EXPECT_TRUE(Contains(t.Output(3), "snapshots of the trace restored: 1")) << t.Output(3);
  EXPECT_TRUE(Contains(t.Output(3), "last from event " +
                                        std::to_string(usable_[usable_.size() - 2].header->event)))
      << t.Output(3);
}

TEST_F(SnapshotReplayTest, ACorruptSnapshotIsReportedAndReplayReExecutes) {
  GdbTranscript expected = GotoTarget({"--no-snapshots"});
  ASSERT_EQ(expected.run.exit_status, 0) << expected.Describe();
  // Every snapshot up to the target damaged: none is usable. (The first
  // holds the pages later ones refer to, unless a loaded machine took it
  // before the heap was filled.)
  for (const trace::SnapshotListing& damaged : usable_) {
    int fd = open(damaged.path.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    char byte = 0;
    off_t middle = static_cast<off_t>(damaged.bytes / 2);
    ASSERT_EQ(pread(fd, &byte, 1, middle), 1);
    byte = static_cast<char>(byte ^ 0x5a);
    ASSERT_EQ(pwrite(fd, &byte, 1, middle), 1);
    close(fd);
  }
  GdbTranscript t = GotoTarget();
  ASSERT_EQ(t.run.exit_status, 0) << t.Describe();
  EXPECT_TRUE(Contains(AllOutput(t), "is not used")) << t.Describe();
  EXPECT_TRUE(Contains(AllOutput(t), "checksum")) << t.Describe();
  EXPECT_EQ(t.Output(1), expected.Output(1));
  EXPECT_EQ(t.Output(2), expected.Output(2));
  EXPECT_TRUE(Contains(t.Output(3), "snapshots of the trace restored: 0")) << t.Output(3);
  EXPECT_TRUE(Contains(t.Output(3), "last from event 1\n")) << t.Output(3);
}

}  // namespace
}  // namespace rwd::e2e
